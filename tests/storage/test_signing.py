"""Properties of signed media links."""

from hypothesis import given, settings
from hypothesis import strategies as st

from genfans.storage import signing
from genfans.storage.keys import is_safe_key
from genfans.web.views.media import _byte_range

segment = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}", fullmatch=True)
keys = st.lists(segment, min_size=1, max_size=5).map("/".join).filter(is_safe_key)


@settings(max_examples=60, deadline=None)
@given(key=keys, expires_at=st.integers(10**9, 10**11), flip=st.integers(0, 63))
def test_only_the_exact_signature_verifies(key, expires_at, flip):
    sig = signing.signature(key, expires_at)
    now = expires_at - 1
    assert signing.verify(key, str(expires_at), sig, now=now)
    tampered = sig[:flip] + ("0" if sig[flip] != "0" else "1") + sig[flip + 1 :]
    assert not signing.verify(key, str(expires_at), tampered, now=now)
    assert not signing.verify(key + "x", str(expires_at), sig, now=now)
    assert not signing.verify(key, str(expires_at + 1), sig, now=now)
    assert not signing.verify(key, str(expires_at), sig, now=expires_at + 1)


@settings(max_examples=60, deadline=None)
@given(expires_in=st.integers(1, 7 * 86400), now=st.floats(10**9, 2 * 10**9))
def test_expiry_is_never_earlier_than_asked_and_at_most_a_quarter_later(expires_in, now):
    expires_at = signing.expiry_for(expires_in, now=now)
    assert now + expires_in <= expires_at <= now + expires_in + max(1, expires_in // 4) + 1


@settings(max_examples=100, deadline=None)
@given(header=st.text(max_size=30), size=st.integers(1, 10**9))
def test_any_range_header_is_answered_within_the_file(header, size):
    try:
        byte_range = _byte_range(header, size)
    except ValueError:
        return  # 416
    if byte_range is not None:
        first, last = byte_range
        assert 0 <= first <= last < size


@settings(max_examples=60, deadline=None)
@given(key=st.one_of(st.text(max_size=60), keys.map(lambda k: k + "\n")))
def test_unsafe_keys_never_escape_the_media_root(key):
    if is_safe_key(key):
        assert not key.startswith("/")
        assert ".." not in key.split("/")
        assert "\\" not in key and "\x00" not in key and "\n" not in key
