//! Fuzzing harnesses (feature `fuzzing`, not part of the supported API).
//!
//! Called by the `seal` fuzz target under `fuzz/` and by
//! `tests/fuzz_corpus.rs`, which replays the checked-in corpus on stable.
//! Panics (the fuzzer's "crash") when a property does not hold.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead;

use crate::seal::SealingKey;

/// Separates the parts of a [`seal`] input (never part of valid UTF-8).
pub const PART_SEPARATOR: u8 = 0xFF;

/// The AEAD nonce and tag lengths (RFC 5116 §5.1, RFC 8439 §2.8: 12 and 16
/// bytes for both algorithms), written here independently of `seal.rs`.
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Opens `value` as the module documents a seal: `s1.`, then the canonical
/// unpadded base64url of a 12-byte nonce, the ciphertext and the 16-byte
/// tag, sealed with `key` with the Redis key as associated data; the text
/// must be UTF-8. Written from that description with ring's AEAD directly.
fn reference_open(
    algorithm: &'static aead::Algorithm,
    key: &[u8; 32],
    redis_key: &str,
    value: &str,
) -> Option<String> {
    let body = value.strip_prefix("s1.")?;
    let mut raw = URL_SAFE_NO_PAD.decode(body).ok()?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&raw[..NONCE_LEN]);
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, key).ok()?);
    let plain = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(redis_key.as_bytes()),
            &mut raw[NONCE_LEN..],
        )
        .ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

/// Target `seal`: the token sealed at rest in Redis ([`SealingKey`], AEAD
/// with the Redis key as associated data).
///
/// Input: a mode byte (bit 0: ChaCha20-Poly1305, else AES-256-GCM), then
/// UTF-8 parts separated by [`PART_SEPARATOR`]: the Redis key, the text to
/// seal, then arbitrary bytes (a stored value; its first byte also picks the
/// byte the flips use). Properties:
/// - `seal` then `open` gives the text back, for any text and Redis key; the
///   seal is `s1.` and the canonical unpadded base64url of nonce ‖ ciphertext
///   ‖ tag (12 + text + 16 bytes), differs from a second seal of the same
///   text (a fresh nonce) and does not show a text of 16 bytes or more;
/// - the seal does not open under another Redis key (one byte more, one
///   byte less, the last character changed, the empty key), under another
///   key of the same algorithm or under the same key bytes of the other
///   algorithm;
/// - changing any one byte of the seal (to any other byte that leaves it
///   UTF-8), cutting it anywhere or adding to it makes it not open;
/// - `open` of arbitrary stored bytes (as they are, after `s1.`, and
///   base64url-encoded after `s1.`, so the AEAD itself sees them) never
///   panics and opens exactly what `reference_open` opens: a seal of this
///   key and this Redis key, and nothing else.
pub fn seal(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |&b| b == PART_SEPARATOR);
    let (Some(redis_key), Some(plain)) = (parts.next(), parts.next()) else {
        return;
    };
    let stored = parts.next().unwrap_or_default();
    let (Ok(redis_key), Ok(plain)) = (std::str::from_utf8(redis_key), std::str::from_utf8(plain))
    else {
        return;
    };
    type NewKey = fn(&[u8; 32]) -> SealingKey;
    // The algorithm under test (the constructor and ring's, for the
    // reference) and the other one.
    let (new, algorithm, other_algorithm): (NewKey, &'static aead::Algorithm, NewKey) =
        if mode & 1 == 1 {
            (
                SealingKey::chacha20_poly1305,
                &aead::CHACHA20_POLY1305,
                SealingKey::aes_256_gcm,
            )
        } else {
            (
                SealingKey::aes_256_gcm,
                &aead::AES_256_GCM,
                SealingKey::chacha20_poly1305,
            )
        };
    let key = new(&[7; 32]);

    // Arbitrary stored bytes open only if they are a seal of this key and
    // this Redis key (the fuzzer learns real seals from this harness's
    // comparisons: `finding-1-a-real-seal-learned`).
    let mut prefixed = b"s1.".to_vec();
    prefixed.extend_from_slice(stored);
    let mut encoded = String::from("s1.");
    URL_SAFE_NO_PAD.encode_string(stored, &mut encoded);
    for value in [stored, &prefixed, encoded.as_bytes()] {
        if let Ok(value) = std::str::from_utf8(value) {
            assert_eq!(
                key.open(redis_key, value),
                reference_open(algorithm, &[7; 32], redis_key, value),
                "{value:?}"
            );
        }
    }

    // Round trip, and the seal's form.
    let Some(sealed) = key.seal(redis_key, plain) else {
        panic!("the system random generator failed");
    };
    assert_eq!(key.open(redis_key, &sealed).as_deref(), Some(plain));
    let Some(body) = sealed.strip_prefix("s1.") else {
        panic!("a seal without its marker: {sealed:?}");
    };
    let Ok(raw) = URL_SAFE_NO_PAD.decode(body) else {
        panic!("a seal that is not base64url: {sealed:?}");
    };
    assert_eq!(URL_SAFE_NO_PAD.encode(&raw), body, "not canonical");
    assert_eq!(raw.len(), NONCE_LEN + plain.len() + TAG_LEN, "length");
    let Some(again) = key.seal(redis_key, plain) else {
        panic!("the system random generator failed");
    };
    assert_ne!(again, sealed, "the nonce repeated");
    assert_ne!(
        again.get(..3 + 16),
        sealed.get(..3 + 16),
        "the nonce repeated"
    );
    if plain.len() >= 16 {
        assert!(!sealed.contains(plain), "the text shows in its seal");
    }

    // Bound to the Redis key and the key.
    let mut other_keys = vec![format!("{redis_key}x"), String::new()];
    if let Some(last) = redis_key.chars().last() {
        let cut = &redis_key[..redis_key.len() - last.len_utf8()];
        other_keys.push(cut.to_owned());
        let changed = if last == 'a' { 'b' } else { 'a' };
        other_keys.push(format!("{cut}{changed}"));
    }
    for other in other_keys.iter().filter(|k| *k != redis_key) {
        assert_eq!(key.open(other, &sealed), None, "opened under {other:?}");
    }
    assert_eq!(new(&[8; 32]).open(redis_key, &sealed), None, "another key");
    assert_eq!(
        other_algorithm(&[7; 32]).open(redis_key, &sealed),
        None,
        "the other algorithm"
    );

    // Tampering: every byte changed, cuts, additions.
    let flip = stored.first().copied().filter(|&b| b != 0).unwrap_or(1);
    let mut bytes = sealed.clone().into_bytes();
    for at in 0..bytes.len() {
        bytes[at] ^= flip;
        if let Ok(tampered) = std::str::from_utf8(&bytes) {
            assert_eq!(key.open(redis_key, tampered), None, "byte {at} changed");
        }
        bytes[at] ^= flip;
    }
    let len = sealed.len();
    for cut in [0, 2, 3, len / 2, len - 2, len - 1, len.saturating_sub(24)] {
        assert_eq!(key.open(redis_key, &sealed[..cut]), None, "cut at {cut}");
    }
    for extra in ["A", "AA", "AAAA", "=", "\n"] {
        let longer = format!("{sealed}{extra}");
        assert_eq!(key.open(redis_key, &longer), None, "{extra:?} added");
    }
}
