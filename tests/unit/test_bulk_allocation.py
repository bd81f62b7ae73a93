"""Building a large ranking pauses the cyclic garbage collector, and always gives it back as it found it."""

from __future__ import annotations

import gc

import pytest

from safeguard.targeting.job import bulk_allocation


def test_collection_is_paused_inside_and_back_on_after_even_when_the_work_fails() -> None:
    assert gc.isenabled()
    with bulk_allocation():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk_allocation():
        raise RuntimeError("the engine failed")
    assert gc.isenabled()


def test_overlapping_rankings_leave_collection_on_and_a_caller_that_had_it_off_keeps_it_off() -> None:
    first, second = bulk_allocation(), bulk_allocation()
    first.__enter__()
    second.__enter__()  # found it off: must not turn it on when it ends
    first.__exit__(None, None, None)  # found it on: turns it back on
    second.__exit__(None, None, None)
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_allocation():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
