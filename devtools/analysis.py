"""Static analysis of the production contracts with Slither.

The sources are compiled through crytic-compile's standard-JSON platform with the same compiler
(``scripts/solc``, solc-js, unless ``PLEDGELEDGER_SOLC`` names another) and the same EVM version and
optimizer settings as :mod:`ledger.compiler`; Slither then runs every detector it ships.

What is analysed: every ``.sol`` file under ``contracts/`` except the test doubles in
``contracts/test/``, with the OpenZeppelin code they import. What is reported: the findings that touch
a production source (dependencies are not our code to fix), except those whose subject is a test
double. Slither's own ``filter_paths`` is deliberately not used: it drops a finding if *any* of its
elements matches, so filtering ``node_modules`` that way would hide findings in the ledger whose
trace passes through OpenZeppelin code (a reentrancy through ``SafeERC20``, say).

Findings are suppressed in the Solidity source with ``// slither-disable-next-line <check>`` and a
comment giving the reason; findings below Medium that are kept must be explained in
:data:`ACCEPTED_FINDINGS`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from crytic_compile.compilation_unit import CompilationUnit
from crytic_compile.compiler.compiler import CompilerVersion
from crytic_compile.crytic_compile import CryticCompile
from crytic_compile.platform.exceptions import InvalidCompilation
from crytic_compile.platform.solc import get_version
from crytic_compile.platform.solc_standard_json import (
    SolcStandardJson,
    parse_standard_json_output,
    run_solc_standard_json,
)

from ledger.compiler import COMPILER_SETTINGS, solc_binary, standard_json_input
from ledger.errors import LedgerError
from ledger.paths import CONTRACTS_DIR

#: Slither impacts, most severe first.
IMPACTS: tuple[str, ...] = ("High", "Medium", "Low", "Informational", "Optimization")

#: Impacts that fail the build: fix the contract, or suppress a false positive in the source with a reason.
BLOCKING_IMPACTS: frozenset[str] = frozenset({"High", "Medium"})

#: Sub-directory of the contracts directory that holds test doubles, which are not production code.
TEST_DOUBLES_DIR = "test"

#: Checks whose Low, Informational or Optimization findings in production code are accepted, and why.
#: A new check appearing below Medium fails ``tests/contracts/test_static_analysis.py`` until it is fixed,
#: suppressed in the source, or explained here; an entry no finding uses any more fails it too.
ACCEPTED_FINDINGS: dict[str, str] = {
    "timestamp": (
        "Round windows and price staleness are wall-clock rules by design; a proposer's few seconds of "
        "timestamp leeway cannot open, close or extend a round or revive a price in any meaningful way."
    ),
    "assembly": (
        "_send and _trySend pay ETH with an assembly call that copies no return data (a donor cannot bomb a "
        "pushed batch with a huge revert payload) and, in _trySend, forwards a fixed gas allowance; the "
        "result is checked (_send reverts, _trySend reports it) and every paying entry point is nonReentrant."
    ),
    "naming-convention": (
        "MIN_SUPPLIER_DELAY is an immutable named like a constant, as OpenZeppelin names its immutables: "
        "it is fixed at deployment and part of the public interface."
    ),
    "unused-import": (
        "Reported in OpenZeppelin's AccessControlDefaultAdminRules (it imports IERC5313 for its docs): "
        "dependency code, used as released."
    ),
    "solc-version": (
        "^0.8.24 is the floor, not the build: builds are pinned to solc 0.8.37 (scripts/solc), and "
        "Slither 0.10.3 names no bug affecting it (its bug list predates that release)."
    ),
    "pragma": (
        "Our sources all declare ^0.8.24; the other constraints are OpenZeppelin's own, wider ones. "
        "Everything is compiled together by the one pinned compiler."
    ),
}

# What crytic-compile needs from solc: the ASTs plus the bytecode and source maps of every contract.
_OUTPUT_SELECTION: dict[str, Any] = {
    "*": {
        "*": ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode", "evm.deployedBytecode"],
        "": ["ast"],
    }
}


class AnalysisError(LedgerError, RuntimeError):
    """The contracts could not be analysed: compilation failed or Slither could not model them in full."""


@dataclass(frozen=True)
class Finding:
    """One result of a Slither detector."""

    check: str
    """The detector's argument name, e.g. ``reentrancy-eth``: what ``slither-disable-next-line`` takes."""
    impact: str
    """``High``, ``Medium``, ``Low``, ``Informational`` or ``Optimization``."""
    confidence: str
    """``High``, ``Medium`` or ``Low``."""
    description: str
    """Slither's full text, with the offending lines."""
    location: str
    """Where the finding's subject is, e.g. ``contracts/PledgeLedger.sol#503-510``."""
    files: tuple[str, ...]
    """Every source file the finding's elements lie in, relative to the project root (the contracts
    directory's parent)."""
    id: str
    """Slither's stable hash of the finding."""
    suppressed: bool = False
    """True if a ``slither-disable`` comment in the source covers the finding."""

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.strip().splitlines()[0] if self.description.strip() else self.check

    @property
    def blocking(self) -> bool:
        """True for High and Medium findings that no source comment suppresses."""
        return self.impact in BLOCKING_IMPACTS and not self.suppressed

    @property
    def justification(self) -> str | None:
        """Why a kept finding below Medium is accepted, from :data:`ACCEPTED_FINDINGS`; None if it is not."""
        if self.impact in BLOCKING_IMPACTS or self.suppressed:
            return None
        return ACCEPTED_FINDINGS.get(self.check)

    @property
    def unexplained(self) -> bool:
        """True for a kept finding below Medium that :data:`ACCEPTED_FINDINGS` does not explain."""
        return self.impact not in BLOCKING_IMPACTS and not self.suppressed and self.justification is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields, plus ``blocking`` and ``justification``."""
        return {
            **asdict(self),
            "files": list(self.files),
            "blocking": self.blocking,
            "justification": self.justification,
        }


class _AdapterStandardJson(SolcStandardJson):
    """crytic-compile's standard-JSON platform, compiling with a given solc executable.

    crytic-compile 0.3.11 asks the ``solc`` argument for the version but then runs
    ``compiler_version.compiler``, which must stay ``"solc"`` because Slither reads the language from it:
    so it always runs whatever ``solc`` is on PATH, and there is none here. This compiles with
    ``self.solc`` and leaves the compilation unit's compiler named ``solc``.
    """

    def __init__(self, standard_json: dict[str, Any], *, solc: Path, working_dir: Path) -> None:
        super().__init__(standard_json)
        self.solc = solc
        self.working_dir = working_dir

    def compile(self, crytic_compile: CryticCompile, **kwargs: Any) -> None:
        """Compile ``self.to_dict()`` into a new compilation unit of ``crytic_compile``."""
        settings = self.to_dict()["settings"]
        optimizer = settings.get("optimizer", {})
        unit = CompilationUnit(crytic_compile, "standard_json")
        unit.compiler_version = CompilerVersion(
            compiler="solc",
            version=get_version(str(self.solc), None),
            optimized=bool(optimizer.get("enabled", False)),
            optimize_runs=optimizer.get("runs"),
        )
        runner = CompilerVersion(
            compiler=str(self.solc),
            version=unit.compiler_version.version,
            optimized=unit.compiler_version.optimized,
            optimize_runs=unit.compiler_version.optimize_runs,
        )
        output = run_solc_standard_json(
            self.to_dict(),
            runner,
            solc_disable_warnings=bool(kwargs.get("solc_disable_warnings", False)),
            working_dir=str(self.working_dir),
        )
        parse_standard_json_output(output, unit, solc_working_dir=str(self.working_dir))


def is_test_double(path: Path, contracts_dir: Path = CONTRACTS_DIR) -> bool:
    """True for a file under the contracts directory's ``test/`` folder."""
    return path.resolve().is_relative_to((contracts_dir / TEST_DOUBLES_DIR).resolve())


def is_production(path: Path, contracts_dir: Path = CONTRACTS_DIR) -> bool:
    """True for a source under the contracts directory that is not a test double."""
    return path.resolve().is_relative_to(contracts_dir.resolve()) and not is_test_double(path, contracts_dir)


def analysis_input(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, Any]:
    """The standard-JSON input Slither analyses: the production sources (no test doubles), compiled with
    :data:`ledger.compiler.COMPILER_SETTINGS` but asking for the ASTs and source maps crytic-compile needs.

    Sources are named by absolute path. crytic-compile looks a relative name up in the *process's* working
    directory before its own, so ``contracts/X.sol`` could resolve to a different file of the same name.
    """
    contracts_dir = contracts_dir.resolve()
    root = contracts_dir.parent
    full = standard_json_input(contracts_dir)
    sources = {
        (root / name).as_posix(): source
        for name, source in full["sources"].items()
        if is_production(root / name, contracts_dir)
    }
    if not sources:
        raise AnalysisError(f"no production Solidity sources under {contracts_dir}")
    settings = {**COMPILER_SETTINGS, "outputSelection": _OUTPUT_SELECTION}
    return {**full, "sources": sources, "settings": settings}


def all_detectors() -> list[type[Any]]:
    """Every detector class Slither ships, as its command line runs them by default."""
    from slither.detectors import all_detectors as module
    from slither.detectors.abstract_detector import AbstractDetector

    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, AbstractDetector) and cls is not AbstractDetector
    ]


def _element_paths(result: dict[str, Any]) -> list[Path]:
    return [
        Path(element["source_mapping"]["filename_absolute"])
        for element in result.get("elements", [])
        if element.get("source_mapping", {}).get("filename_absolute")
    ]


def _location(result: dict[str, Any], root: Path, contracts_dir: Path) -> str:
    """``file#first-last`` of the first element, or of the first one in production code if that is not."""
    mapped = [
        element["source_mapping"]
        for element in result.get("elements", [])
        if (element.get("source_mapping") or {}).get("filename_absolute")
    ]
    if not mapped:
        return "-"
    mapping = next(
        (m for m in mapped if is_production(Path(m["filename_absolute"]), contracts_dir)), mapped[0]
    )
    name = _relative(Path(mapping["filename_absolute"]), root)
    lines: list[int] = mapping.get("lines") or []
    if not lines:
        return name
    return f"{name}#{lines[0]}" if len(lines) == 1 else f"{name}#{lines[0]}-{lines[-1]}"


def concerns_production(result: dict[str, Any], contracts_dir: Path = CONTRACTS_DIR) -> bool:
    """Whether a raw Slither result is about production code.

    It is if one of its elements lies in a production source and its subject (the first element) is not a
    test double. A result without source elements is kept: nothing shows it belongs to someone else.
    """
    paths = _element_paths(result)
    if not paths:
        return True
    if is_test_double(paths[0], contracts_dir):
        return False
    return any(is_production(path, contracts_dir) for path in paths)


def _verify_coverage(slither: Any, crytic: CryticCompile, contracts_dir: Path) -> None:
    """Fail unless Slither modelled every contract compiled from a production source, completely."""
    compiled = {
        (Path(filename.absolute).resolve(), name)
        for unit in crytic.compilation_units.values()
        for filename, names in unit.filename_to_contracts.items()
        if is_production(Path(filename.absolute), contracts_dir)
        for name in names
    }
    modelled: set[tuple[Path, str]] = set()
    problems: list[str] = []
    for contract in slither.contracts:
        path = Path(contract.source_mapping.filename.absolute).resolve()
        if (path, contract.name) not in compiled:
            continue
        modelled.add((path, contract.name))
        if contract.is_incorrectly_constructed:
            problems.append(f"{contract.name} was parsed only partially")
        problems.extend(
            f"{contract.name}.{function.name} has no control-flow graph"
            for function in contract.functions_declared
            if function.is_implemented and not function.nodes
        )
    problems.extend(
        f"{name} ({path.name}) is missing from Slither's model" for path, name in compiled - modelled
    )
    if not compiled:
        problems.append("no production contract was compiled")
    if problems:
        raise AnalysisError("Slither did not analyse the contracts in full: " + "; ".join(sorted(problems)))


def run_slither(
    *,
    contracts_dir: Path = CONTRACTS_DIR,
    solc: Path | None = None,
    include_suppressed: bool = False,
    detectors: Iterable[type[Any]] | None = None,
) -> list[Finding]:
    """Run Slither's detectors on the production contracts and return the findings about them.

    Args:
        contracts_dir: The Solidity sources; their parent is the working directory, under which (or above
            which) ``node_modules`` must hold the imported packages.
        solc: The compiler executable; defaults to :func:`ledger.compiler.solc_binary`.
        include_suppressed: Also return findings a ``slither-disable`` comment covers, marked ``suppressed``.
        detectors: Detector classes to run; defaults to :func:`all_detectors`.

    Returns:
        The findings, most severe first; those only about OpenZeppelin code or the test doubles are left out.

    Raises:
        AnalysisError: The sources did not compile, or Slither could not model a production contract in full.
    """
    from slither import Slither
    from slither.exceptions import SlitherError

    contracts_dir = contracts_dir.resolve()
    root = contracts_dir.parent
    platform = _AdapterStandardJson(
        analysis_input(contracts_dir), solc=solc or solc_binary(), working_dir=root
    )
    try:
        crytic = CryticCompile(platform, cwd=str(root))
        # show_ignored_findings: report every result and mark the suppressed ones ourselves. It also keeps a
        # stray triage database (slither.db.json) in the working directory from hiding findings.
        slither = Slither(crytic, disallow_partial=True, show_ignored_findings=True)
    except (InvalidCompilation, SlitherError) as exc:
        raise AnalysisError(f"Slither could not analyse the contracts:\n{exc}") from exc
    _verify_coverage(slither, crytic, contracts_dir)

    for detector in detectors if detectors is not None else all_detectors():
        slither.register_detector(detector)
    findings: list[Finding] = []
    for results in slither.run_detectors():
        for result in results:
            if not concerns_production(result, contracts_dir):
                continue
            suppressed = bool(slither.has_ignore_comment(result))
            if suppressed and not include_suppressed:
                continue
            findings.append(
                Finding(
                    check=str(result["check"]),
                    impact=str(result["impact"]),
                    confidence=str(result["confidence"]),
                    description=str(result["description"]),
                    location=_location(result, root, contracts_dir),
                    files=tuple(sorted({_relative(p, root) for p in _element_paths(result)})),
                    id=str(result["id"]),
                    suppressed=suppressed,
                )
            )
    return sorted(findings, key=_sort_key)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def _sort_key(finding: Finding) -> tuple[int, str, str, str]:
    rank = IMPACTS.index(finding.impact) if finding.impact in IMPACTS else len(IMPACTS)
    return (rank, finding.check, finding.location, finding.id)


def format_table(findings: Iterable[Finding], *, width: int = 100) -> str:
    """A plain-text table of findings: impact, confidence, check, location, summary and status."""
    rows = [("IMPACT", "CONF.", "CHECK", "LOCATION", "STATUS")]
    notes: list[str] = []
    for finding in findings:
        if finding.suppressed:
            status = "suppressed in source"
        elif finding.blocking:
            status = "BLOCKING"
        elif finding.unexplained:
            status = "UNEXPLAINED"
        else:
            status = "accepted"
        rows.append((finding.impact, finding.confidence, finding.check, finding.location, status))
        summary = finding.summary
        notes.append(summary if len(summary) <= width else summary[: width - 1] + "…")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(rows[0], widths, strict=True)).rstrip()]
    for row, note in zip(rows[1:], notes, strict=True):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        lines.append(f"    {note}")
    return "\n".join(lines)


def count_by_impact(
    findings: Iterable[Finding], *, where: Callable[[Finding], bool] | None = None
) -> dict[str, int]:
    """How many findings of each impact (only those ``where`` accepts, if given)."""
    counts = dict.fromkeys(IMPACTS, 0)
    for finding in findings:
        if where is None or where(finding):
            counts[finding.impact] = counts.get(finding.impact, 0) + 1
    return counts
