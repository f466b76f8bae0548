"""Render a contract's ABI with its NatSpec as Markdown: the reference for indexers and integrators.

Generated from the compiler's output (``abi``, ``userdoc``, ``devdoc``), never edited by hand;
``scripts/abi_doc.py --write`` refreshes ``contracts/ABI.md`` and a test checks it is current.
"""

from __future__ import annotations

from typing import Any

from ledger.compiler import Artifact


def _type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ", ".join(f"{_type(c)} {c['name']}" for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_type_plain(p) for p in item.get('inputs', []))})"


def _type_plain(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return f"({','.join(_type_plain(c) for c in param['components'])}){kind[len('tuple') :]}"
    return kind


def _params(inputs: list[dict[str, Any]], *, indexed: bool = False) -> str:
    parts = []
    for p in inputs:
        marker = " indexed" if indexed and p.get("indexed") else ""
        parts.append(f"{_type(p)}{marker} {p['name']}".strip())
    return ", ".join(parts)


def _doc(docs: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    entry = docs.get(section, {}).get(key, {})
    if isinstance(entry, list):  # errors map to a list of definitions
        entry = entry[0] if entry else {}
    return entry if isinstance(entry, dict) else {}


def _text(user: dict[str, Any], dev: dict[str, Any]) -> str:
    return " ".join(part for part in (user.get("notice", ""), dev.get("details", "")) if part)


def render(artifact: Artifact) -> str:
    """Markdown for ``artifact``: functions, events and errors, each with its signature and NatSpec."""
    abi, user, dev = artifact.abi, artifact.userdoc, artifact.devdoc
    lines = [
        f"# {artifact.name} ABI",
        "",
        f"Generated from `{artifact.source}` by `scripts/abi_doc.py`; do not edit by hand.",
        "",
    ]
    if user.get("notice"):
        lines += [user["notice"], ""]

    functions = sorted((i for i in abi if i["type"] == "function"), key=lambda i: i["name"])
    lines += ["## Functions", ""]
    for item in functions:
        signature = _signature(item)
        outputs = _params(item.get("outputs", []))
        returns = f" returns ({outputs})" if outputs else ""
        mutability = "" if item["stateMutability"] == "nonpayable" else f" {item['stateMutability']}"
        lines.append(f"### `{item['name']}({_params(item['inputs'])}){mutability}{returns}`")
        lines.append("")
        text = _text(_doc(user, "methods", signature), _doc(dev, "methods", signature))
        if text:
            lines += [text, ""]
        params = _doc(dev, "methods", signature).get("params", {})
        documented = [p["name"] for p in item["inputs"] if p["name"] in params]
        lines += [f"- `{name}`: {params[name]}" for name in documented]
        if documented:
            lines.append("")

    lines += ["## Events", ""]
    for item in sorted((i for i in abi if i["type"] == "event"), key=lambda i: i["name"]):
        signature = _signature(item)
        lines.append(f"### `{item['name']}({_params(item['inputs'], indexed=True)})`")
        lines.append("")
        text = _text(_doc(user, "events", signature), _doc(dev, "events", signature))
        lines += [text or "(no description)", ""]

    lines += ["## Errors", "", "| error | meaning |", "|---|---|"]
    for item in sorted((i for i in abi if i["type"] == "error"), key=lambda i: i["name"]):
        signature = _signature(item)
        text = _text(_doc(user, "errors", signature), _doc(dev, "errors", signature))
        lines.append(f"| `{item['name']}({_params(item['inputs'])})` | {text} |")
    return "\n".join(lines) + "\n"
