from onboarding.report.batching import chunks


def test_chunks_cuts_a_stream_into_lists_of_at_most_size():
    assert list(chunks(iter(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []
    assert list(chunks(range(6), 3)) == [[0, 1, 2], [3, 4, 5]]


def test_chunks_reads_lazily():
    consumed = []

    def stream():
        for i in range(1000):
            consumed.append(i)
            yield i

    first = next(chunks(stream(), 10))
    assert first == list(range(10)) and len(consumed) == 10
