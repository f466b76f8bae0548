"""The indexer benchmark as it is run: a small chain, every measurement, the JSON on the last line."""

from tests.scripts.support import run_bench


def test_bench_indexer_measures_every_path_and_ends_with_the_json_figures() -> None:
    small = ["--events", "2500", "--per-tx", "500", "--donors", "2", "--naive-events", "300"]
    small += ["--rounds", "2", "--no-postgres"]
    lines, figures = run_bench("bench_indexer.py", *small)
    # The script checks itself that every run mirrored exactly the events made, with the right amounts.
    assert figures["events"] == 2500
    assert figures["naive_events"] == 300
    for key in ("ceiling_eps", "naive_eps", "sqlite_eps"):
        assert figures[key] > 0, key
    assert figures["postgres_eps"] is None
    assert 0 < figures["peak_rss_mb"] <= 300
    assert len(figures["rounds"]["sqlite_eps"]) == 2
    assert figures["sqlite_eps"] == max(figures["rounds"]["sqlite_eps"]), "the best round counts"
    assert any(line.startswith("(c) indexer → SQLite") for line in lines)
