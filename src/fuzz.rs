//! A mutation fuzzer for the manifest reader and validator, run as a test for a bounded
//! number of cases: the shipped manifests, mutated (bytes flipped, dropped, duplicated,
//! YAML's structural characters, NUL and control bytes, aliases and deep brackets
//! spliced in), must each give a manifest or a located error — never a panic, a hang or
//! a runaway allocation. Deterministic: a failure names the seed and case to replay.
//! `EDGECTL_FUZZ_CASES` raises the count for a longer run.

use std::panic::AssertUnwindSafe;

use crate::manifest::vars::Overrides;
use crate::manifest::{ManifestError, parse_bytes};

const SEEDS: &[&str] = &[
    include_str!("../manifests/edgemind-prod.yaml"),
    include_str!("../manifests/happyrobot-fde.yaml"),
    include_str!("../manifests/cloudiot.yaml"),
    include_str!("../manifests/manufacturing.yaml"),
    include_str!("../examples/service.yaml"),
    include_str!("../examples/static-site.yaml"),
];

const SPLICES: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b": ",
    b"- ",
    b"\n",
    b"\n  ",
    b"\t",
    b"\"",
    b"'",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!binary ",
    b"${var.",
    b"${var.x}",
    b"$${",
    b"\0",
    b"\x01",
    b"\xff",
    b"\xc3",
    b"---\n",
    b"...\n",
    b"? ",
    b"|\n",
    b">-\n",
    b"#",
    b"%YAML 1.2\n",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(6) {
            0 if !input.is_empty() => {
                let at = at.min(input.len() - 1);
                input[at] ^= 1 << rng.below(8);
            }
            1 if !input.is_empty() => {
                let end = (at + rng.below(40)).min(input.len());
                input.drain(at.min(end)..end);
            }
            2 if !input.is_empty() => {
                let end = (at + rng.below(200)).min(input.len());
                let chunk: Vec<u8> = input[at.min(end)..end].to_vec();
                let to = rng.below(input.len() + 1);
                input.splice(to..to, chunk);
            }
            _ => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                input.splice(at..at, splice.iter().copied());
            }
        }
    }
}

/// The process's peak resident memory, in KiB (Linux), to bound what parsing allocates.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn mutated_manifests_never_panic_and_stay_bounded() {
    let cases: usize = std::env::var("EDGECTL_FUZZ_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3_000);
    let before = peak_kib();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    let mut rejected = 0;
    // The service example's certificate has no default: given, so mutations reach the
    // decoder rather than stopping at the missing value.
    let overrides = Overrides {
        cli: vec![(
            "certificate_arn".to_string(),
            "arn:aws:acm:us-east-1:123456789012:certificate/example".to_string(),
        )],
        ..Overrides::default()
    };
    let sections = crate::kinds::sections();
    for case in 0..cases {
        let seed = SEEDS[case % SEEDS.len()];
        let mut input = seed.as_bytes().to_vec();
        mutate(&mut rng, &mut input);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            parse_bytes("fuzz.yaml", &input, &overrides, &sections)
        }));
        match outcome {
            Ok(Ok(_)) => accepted += 1,
            Ok(Err(ManifestError::Invalid { diagnostics, .. })) => {
                assert!(
                    !diagnostics.is_empty(),
                    "case {case}: invalid without a reason"
                );
                for diagnostic in &diagnostics {
                    assert!(diagnostic.pos.line >= 1 && diagnostic.pos.column >= 1);
                }
                rejected += 1;
            }
            Ok(Err(other)) => panic!("case {case}: unexpected error {other}"),
            Err(_) => panic!(
                "case {case} panicked on input:\n{}",
                String::from_utf8_lossy(&input)
            ),
        }
    }
    assert_eq!(accepted + rejected, cases);
    if let (Some(before), Some(after)) = (before, peak_kib()) {
        // Well under the 100 MB the issue allows for any input of at most 1 MB.
        assert!(
            after.saturating_sub(before) < 100 * 1024,
            "parsing raised peak memory by {} KiB",
            after - before
        );
    }
}

/// The worst inputs the limits exist for, at their full size: each is refused.
#[test]
fn hostile_inputs_at_full_size_are_refused() {
    let before = peak_kib();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = format!("*a{}", level - 1);
        bomb.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            [previous.as_str(); 10].join(", ")
        ));
    }
    let deep = format!("a: {}", "[".repeat(500_000));
    let wide = format!("a: [{}]", "1,".repeat(300_000));
    let long = format!("a: \"{}\"", "x".repeat(1_000_000));
    let keys: String = (0..40_000).map(|index| format!("k{index}: 1\n")).collect();
    for (name, input) in [
        ("alias bomb", bomb),
        ("deep", deep),
        ("wide", wide),
        ("long", long),
        ("many keys", keys),
    ] {
        let result = parse_bytes(
            "hostile.yaml",
            input.as_bytes(),
            &Overrides::default(),
            &crate::kinds::sections(),
        );
        assert!(
            matches!(result, Err(ManifestError::Invalid { .. })),
            "{name} was not refused"
        );
    }
    if let (Some(before), Some(after)) = (before, peak_kib()) {
        assert!(
            after.saturating_sub(before) < 100 * 1024,
            "hostile inputs raised peak memory by {} KiB",
            after - before
        );
    }
}
