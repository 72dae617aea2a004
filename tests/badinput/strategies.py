"""What a careless paste, a hostile visitor or a broken client can put in a field."""

from hypothesis import strategies as st

HUGE = 100_000

nasty_text = st.one_of(
    st.text(max_size=80),  # any unicode (hypothesis' own mix)
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40).map(
        lambda s: s + "\x00" + s
    ),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\u202e",
            "💥" * 300,
            "a" * 254,
            "x" * HUGE,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%00",
            "../../etc/passwd",
            "\r\nSet-Cookie: a=b",
            "null",
            "NaN",
            "[]",
            "{}",
        ]
    ),
)
numbers_as_text = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["-1", "0", "1", "3", "24", "9" * 400, "1e309", "0x10", " 1 ", "١"]),
)
domains = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(example|test|com)", fullmatch=True),
    st.sampled_from(
        ["bücher.example", "xn--bcher-kva.example", "a..b", "-a.example", "a.123", "é", "." * 300]
    ),
    nasty_text,
)


def choice_or_junk(valid: list[str]):
    return st.one_of(st.sampled_from(valid), nasty_text, numbers_as_text)
