"""async for ev in watcher.events(): loop.add_reader on the watcher's fd."""

import asyncio

import pytest

from shieldwatch import Watcher

from conftest import FILE_SOURCES, StateDir


def test_async_reader(state: StateDir):
    async def main():
        with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
            loop = asyncio.get_running_loop()

            async def write_later():
                await asyncio.sleep(0.1)
                for i in range(3):
                    state.query("A", "a%d.example.com" % i)

            writer = asyncio.ensure_future(write_later())
            got = []
            async for ev in w.events():
                got.append(ev.domain)
                if len(got) == 3:
                    break
            await writer
            assert got == ["a0.example.com", "a1.example.com", "a2.example.com"]
            assert loop.is_running()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_async_close_while_waiting(state: StateDir):
    async def main():
        w = Watcher(state.dir, "c1", sources=FILE_SOURCES)

        async def consume():
            return [ev async for ev in w.events()]

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.1)
        assert not task.done()
        w.close()
        assert await asyncio.wait_for(task, 5) == []

    asyncio.run(main())


def test_async_cancel_then_reuse(state: StateDir):
    async def main():
        with Watcher(state.dir, "c1", sources=FILE_SOURCES) as w:
            async def first():
                async for ev in w.events():
                    return ev

            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(first(), 0.1)
            state.query("A", "after-cancel.example.com")
            ev = await asyncio.wait_for(first(), 5)
            assert ev.domain == "after-cancel.example.com"

    asyncio.run(main())
