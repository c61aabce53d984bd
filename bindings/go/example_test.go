package shieldwatch_test

import (
	"context"
	"fmt"
	"log"
	"time"

	shieldwatch "github.com/terok-ai/libshieldwatch/bindings/go"
)

func Example() {
	w, err := shieldwatch.Open("/var/lib/terok/containers/c1", "c1",
		shieldwatch.WithDedupWindow(2*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ev, err := range w.All(ctx) {
		if err != nil {
			break // ctx.Err(), shieldwatch.ErrClosed or a library error
		}
		fmt.Println(ev.JSON())
	}
}
