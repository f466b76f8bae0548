"""The API benchmark as it is run: a small campaign, every measurement, the JSON on the last line."""

from tests.scripts.support import run_bench


def test_bench_api_measures_reconciliation_and_pages_and_ends_with_the_json_figures() -> None:
    small = ["--pledges", "2000", "--per-tx", "500", "--donors", "2", "--orders", "20", "--suppliers", "5"]
    small += ["--repeat", "5", "--warmup", "1", "--no-postgres", "--profile"]
    lines, figures = run_bench("bench_api.py", *small)
    # The script checks itself that the pages list every pledge once and that the report covers every
    # pledge, order and payment made, checked against the chain.
    assert (figures["pledges"], figures["suppliers"], figures["orders"]) == (2000, 5, 20)
    assert figures["postgres"] is None
    sqlite = figures["sqlite"]
    for key in (
        "reconcile_p50_ms",
        "reconcile_p95_ms",
        "reconcile_after_write_p50_ms",
        "reconcile_unchecked_after_write_p50_ms",
        "reconcile_cold_ms",
        "deep_page_p50_ms",
        "first_page_p50_ms",
    ):
        assert sqlite[key] > 0, key
    assert sqlite["reconcile_p95_ms"] >= sqlite["reconcile_p50_ms"]
    assert sqlite["reconcile_after_write_p95_ms"] >= sqlite["reconcile_after_write_p50_ms"]
    # Each figure is rounded in the JSON, so the ratio of the rounded figures may differ in its last digit.
    assert abs(sqlite["deep_vs_first"] - sqlite["deep_page_p50_ms"] / sqlite["first_page_p50_ms"]) < 0.02
    assert sqlite["deep_page"] == 18, "page 18 of 20 is the deep page of 2,000 pledges"
    # Four in five orders are paid, the rest are reported unpaid; one line is priced far above the reference.
    assert sqlite["findings"]["order_unpaid"] == 4
    assert sqlite["findings"]["price_above_reference"] == 1
    assert sqlite["reconcile_profile"]["sql_statements"] > 0
    assert sqlite["reconcile_profile"]["uncached_ms"] > 0
    assert any(line.startswith("(sqlite) reconciliation p50") for line in lines)
