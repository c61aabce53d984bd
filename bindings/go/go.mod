module github.com/terok-ai/libshieldwatch/bindings/go

go 1.24
