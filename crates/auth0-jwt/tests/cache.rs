//! Behaviour of the verified-token cache: bounds, expiry, key retention, keying.

use std::sync::Arc;
use std::thread;

use auth0_jwt::cache::{CacheConfig, VerifiedTokenCache};
use auth0_jwt::key::KeyFingerprint;

fn fp(n: u8) -> KeyFingerprint {
    KeyFingerprint([n; 32])
}

#[test]
fn default_config_bounds() {
    let config = CacheConfig::default();
    assert_eq!(config.entry_limit(), 10_000);
    assert!(config.byte_limit() > 0);
    let cache: VerifiedTokenCache<u64> = VerifiedTokenCache::new(config);
    assert!(cache.shard_count().is_power_of_two());
    assert!(cache.is_empty());
}

#[test]
fn million_distinct_inserts_stay_within_entry_and_byte_bounds() {
    let max_entries = 4_096;
    let max_bytes = 256 * 1024;
    let cache = VerifiedTokenCache::new(
        CacheConfig::default()
            .max_entries(max_entries)
            .max_bytes(max_bytes)
            .shards(16),
    );
    let mut token = String::with_capacity(32);
    for i in 0..1_000_000u32 {
        token.clear();
        token.push_str("eyJhbGciOi.payload.");
        token.push_str(&i.to_string());
        // Values of varying size so both bounds take turns to bind.
        let size = (i % 7) as usize * 40;
        cache.insert(&token, Arc::new(i), i64::MAX, fp((i % 3) as u8), size);
        if i % 65_536 == 0 {
            assert!(cache.len() <= max_entries);
            assert!(cache.approx_bytes() <= max_bytes);
        }
    }
    let len = cache.len();
    assert!(len <= max_entries, "len {len} > {max_entries}");
    assert!(
        cache.approx_bytes() <= max_bytes,
        "bytes {} > {max_bytes}",
        cache.approx_bytes()
    );
    // The cache is still useful, not emptied by eviction.
    assert!(len > 100, "only {len} entries left");
    // The most recent token is present.
    assert_eq!(cache.get(&token, 0).as_deref(), Some(&999_999));
}

#[test]
fn entry_bound_binds_when_bytes_are_plenty() {
    let cache = VerifiedTokenCache::new(CacheConfig::default().max_entries(1_000).shards(4));
    for i in 0..50_000u32 {
        cache.insert(&format!("t{i}"), Arc::new(i), i64::MAX, fp(1), 0);
    }
    assert!(cache.len() <= 1_000);
    assert!(cache.len() >= 900, "shards fill evenly: {}", cache.len());
}

#[test]
fn oversized_entry_is_not_cached() {
    let cache = VerifiedTokenCache::new(CacheConfig::default().max_bytes(4_096).shards(4));
    cache.insert("big", Arc::new(1u8), i64::MAX, fp(1), 4_096);
    assert!(cache.get("big", 0).is_none());
    assert!(cache.is_empty());
}

#[test]
fn zero_entries_disables_caching() {
    let cache = VerifiedTokenCache::new(CacheConfig::default().max_entries(0));
    cache.insert("a.b.c", Arc::new(1u8), i64::MAX, fp(1), 0);
    assert!(cache.get("a.b.c", 0).is_none());
    assert_eq!(cache.len(), 0);
}

#[test]
fn get_returns_none_from_expires_at_and_drops_the_entry() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    cache.insert("a.b.c", Arc::new("claims"), 1_000, fp(1), 6);
    assert_eq!(cache.get("a.b.c", 999).as_deref(), Some(&"claims"));
    assert!(
        cache.get("a.b.c", 1_000).is_none(),
        "now == expires_at is expired"
    );
    assert_eq!(cache.len(), 0, "expired entry removed lazily");
    // Going back in time does not resurrect it.
    assert!(cache.get("a.b.c", 10).is_none());
}

#[test]
fn insert_of_already_expired_entry_is_ignored() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    assert!(cache.get("x", 500).is_none()); // the cache has now seen t=500
    cache.insert("a.b.c", Arc::new(1u8), 400, fp(1), 0);
    assert_eq!(cache.len(), 0);
}

#[test]
fn insert_replaces_existing_entry() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    cache.insert("a.b.c", Arc::new(1u8), 100, fp(1), 10);
    cache.insert("a.b.c", Arc::new(2u8), 200, fp(2), 20);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.get("a.b.c", 150).as_deref(), Some(&2));
}

#[test]
fn retain_keys_drops_entries_of_removed_keys() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    for i in 0..300u32 {
        cache.insert(
            &format!("tok{i}"),
            Arc::new(i),
            i64::MAX,
            fp((i % 3) as u8),
            10,
        );
    }
    let before = cache.approx_bytes();
    cache.retain_keys(|k| *k != fp(1));
    assert_eq!(cache.len(), 200);
    assert!(cache.approx_bytes() < before);
    for i in 0..300u32 {
        let hit = cache.get(&format!("tok{i}"), 0);
        assert_eq!(hit.is_some(), i % 3 != 1, "token {i}");
    }
    cache.retain_keys(|_| false);
    assert!(cache.is_empty());
    assert_eq!(cache.approx_bytes(), 0);
}

#[test]
fn tokens_sharing_a_prefix_are_different_keys() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    let header_claims = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
    let real = format!("{header_claims}.c2lnbmF0dXJlLXJlYWw");
    let forged = format!("{header_claims}.c2lnbmF0dXJlLWZha2U");
    cache.insert(&real, Arc::new("alice"), i64::MAX, fp(1), 5);
    assert!(cache.get(&real, 0).is_some());
    assert!(
        cache.get(&forged, 0).is_none(),
        "different signature must miss"
    );
    assert!(cache.get(header_claims, 0).is_none(), "prefix must miss");
    assert!(
        cache.get(&format!("{real}x"), 0).is_none(),
        "extension must miss"
    );
}

/// A realistic RS256-sized token: header, claims, 342-character signature.
fn token_with(claims: &str, signature: &str) -> String {
    format!("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.{claims}.{signature}")
}

#[test]
fn forged_token_with_the_same_signature_but_other_claims_misses() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    let signature: String = (0..342u32)
        .map(|i| {
            char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                    [(i * 37 % 64) as usize],
            )
        })
        .collect();
    // {"sub":"alice"} and {"sub":"admin"}: same length, same signature part,
    // hence the same tail and the very same tag.
    let real = token_with("eyJzdWIiOiJhbGljZSJ9", &signature);
    let forged = token_with("eyJzdWIiOiJhZG1pbiJ9", &signature);
    assert_eq!(forged.len(), real.len());
    assert_ne!(forged, real);
    cache.insert(&real, Arc::new("alice"), i64::MAX, fp(1), 5);
    assert!(
        cache.get(&forged, 0).is_none(),
        "other claims, same signature must miss"
    );
    // Every single-byte change anywhere in the signing input misses too.
    let dot = real.rfind('.').unwrap();
    for i in (0..dot).step_by(7) {
        let mut bytes = real.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        assert!(cache.get(&changed, 0).is_none(), "byte {i} changed");
    }
    // The lookups did not disturb the genuine entry.
    assert_eq!(cache.get(&real, 0).as_deref(), Some(&"alice"));
    assert_eq!(cache.len(), 1);
    // A token that merely ends with the cached token, or contains it, misses.
    assert!(cache.get(&format!("x{real}"), 0).is_none());
    assert!(cache.get(&real[1..], 0).is_none());
}

#[test]
fn tokens_sharing_the_signature_tail_are_distinct_entries() {
    // Two verified tokens with the same length and last 48+ bytes: both are
    // cached or, if their tags collide in a shard, the later one replaces
    // the earlier; a lookup never returns the other token's value.
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    let signature = "Q".repeat(342);
    let one = token_with("eyJzdWIiOiJvbmUifQ", &signature);
    let two = token_with("eyJzdWIiOiJ0d28ifQ", &signature);
    assert_eq!(one.len(), two.len());
    cache.insert(&one, Arc::new(1u32), i64::MAX, fp(1), 0);
    cache.insert(&two, Arc::new(2u32), i64::MAX, fp(1), 0);
    assert_eq!(cache.get(&two, 0).as_deref(), Some(&2));
    assert!(matches!(cache.get(&one, 0).as_deref(), None | Some(&1)));
    assert_eq!(
        cache.len(),
        1,
        "same tag: the later insert replaced the earlier"
    );
    cache.insert(&one, Arc::new(1u32), i64::MAX, fp(1), 0);
    assert_eq!(cache.get(&one, 0).as_deref(), Some(&1));
    assert!(cache.get(&two, 0).is_none());
}

#[test]
fn token_bytes_count_against_the_byte_budget() {
    let cache = VerifiedTokenCache::new(CacheConfig::default().max_bytes(64 * 1024).shards(1));
    let small = token_with("eyJzdWIiOiJhIn0", "sig");
    cache.insert(&small, Arc::new(1u8), i64::MAX, fp(1), 0);
    let per_entry = cache.approx_bytes();
    assert_eq!(
        per_entry,
        small.len() + VerifiedTokenCache::<u8>::ENTRY_OVERHEAD
    );
    // A 40 KB token costs 40 KB: two of them do not fit in 64 KiB.
    let big = |c: char| token_with("eyJzdWIiOiJiIn0", &c.to_string().repeat(40_000));
    cache.insert(&big('a'), Arc::new(2u8), i64::MAX, fp(1), 0);
    cache.insert(&big('b'), Arc::new(3u8), i64::MAX, fp(1), 0);
    assert!(cache.approx_bytes() <= 64 * 1024);
    assert!(cache.get(&big('b'), 0).is_some());
    assert!(
        cache.get(&big('a'), 0).is_none(),
        "evicted to stay in budget"
    );
}

#[test]
fn clear_empties_the_cache() {
    let cache = VerifiedTokenCache::new(CacheConfig::default());
    for i in 0..100u32 {
        cache.insert(&format!("tok{i}"), Arc::new(i), i64::MAX, fp(1), 0);
    }
    cache.clear();
    assert!(cache.is_empty());
    assert_eq!(cache.approx_bytes(), 0);
}

#[test]
fn concurrent_readers_and_writers_stay_consistent() {
    let cache = Arc::new(VerifiedTokenCache::new(
        CacheConfig::default().max_entries(512).shards(8),
    ));
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let cache = Arc::clone(&cache);
            thread::spawn(move || {
                for i in 0..20_000u32 {
                    let token = format!("t{}", (i * 7 + t) % 2_000);
                    match cache.get(&token, 0) {
                        // A hit must return the value stored for that token.
                        Some(v) => assert_eq!(format!("t{}", *v), token),
                        None => {
                            let n: u32 = token[1..].parse().unwrap();
                            cache.insert(&token, Arc::new(n), i64::MAX, fp(1), 0);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(cache.len() <= 512);
}
