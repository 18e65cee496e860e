//! Criterion benchmarks of the decoder: tokens/s with the hull and brute
//! caches, and the cost of a hull insert+query as the cache grows.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hullvm::decode::attention::{BruteCache, HullCache, KvCache};
use hullvm::decode::Decoder;
use hullvm::transformer::graph::Tie;

fn corpus_program(name: &str, input: &[u8]) -> hullvm::isa::Program {
    let wasm =
        std::fs::read(hullvm::harness::corpus::repo_root().join(format!("corpora/c/{name}.wasm")))
            .expect("corpus program");
    hullvm::compile::compile_compute(&wasm, input)
        .unwrap()
        .program
}

fn decode(c: &mut Criterion) {
    let decoder = Decoder::new(hullvm::build_model());
    let collatz = corpus_program("collatz", b"7");
    let tokens = decoder
        .session::<HullCache>()
        .run(&collatz, 1 << 24)
        .trace
        .len() as u64;
    let mut g = c.benchmark_group("decode collatz(7)");
    g.throughput(Throughput::Elements(tokens));
    g.sample_size(10);
    g.bench_function("hull", |b| {
        b.iter(|| decoder.session::<HullCache>().run(&collatz, 1 << 24))
    });
    g.finish();

    let hello = corpus_program("hello", b"World");
    let mut g = c.benchmark_group("decode hello");
    g.sample_size(10);
    g.bench_function("hull", |b| {
        b.iter(|| decoder.session::<HullCache>().run(&hello, 1 << 20))
    });
    g.bench_function("brute", |b| {
        b.iter(|| decoder.session::<BruteCache>().run(&hello, 1 << 20))
    });
    g.finish();
}

/// One insert and one query on a cache already holding n parabola keys
/// (the shape of a stack or memory head): flat for the hull, linear for
/// brute force.
fn cache_growth(c: &mut Criterion) {
    let mut g = c.benchmark_group("insert+query at size n");
    for n in [1_000usize, 10_000, 100_000] {
        let fill = |cache: &mut dyn FnMut([f64; 2], [f64; 2])| {
            for i in 0..n {
                let k = (i % 5000) as f64;
                cache([2.0 * k, -k * k], [i as f64, 0.0]);
            }
        };
        let mut hull = HullCache::default();
        fill(&mut |k, v| hull.insert(k, v).expect("integer keys"));
        g.bench_with_input(BenchmarkId::new("hull", n), &n, |b, _| {
            b.iter(|| {
                let mut h = hull.clone();
                h.insert([20.0, -100.0], [1.0, 0.0]).expect("integer key");
                h.query([1234.0, 1.0], Tie::Latest)
            })
        });
        if n <= 10_000 {
            let mut brute = BruteCache::default();
            fill(&mut |k, v| brute.insert(k, v).expect("integer keys"));
            g.bench_with_input(BenchmarkId::new("brute", n), &n, |b, _| {
                b.iter(|| brute.query([1234.0, 1.0], Tie::Latest))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, decode, cache_growth);
criterion_main!(benches);
