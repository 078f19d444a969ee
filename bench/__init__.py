"""On-demand benchmarks; never run as tests. See docs/performance.md."""
