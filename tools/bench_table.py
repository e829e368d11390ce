#!/usr/bin/env python3
"""The host benchmark behind `scripts/bench.sh`: staticnn's default build (no `target-cpu`,
kernels chosen at run time), its native build (`-C target-cpu=native`) and onnxruntime
(single-threaded) on the same networks, weights and inputs, with the FMA peaks measured in
the same run; one table at the end.

    scripts/bench.sh                  # 3 rounds
    scripts/bench.sh --rounds 5       # more rounds, a better median
    scripts/bench.sh --quick          # 1 round, shorter measurements (a smoke test)

Each round runs, one after the other: the default build's bench (`benches/inference.rs`:
both FMA peaks, the L2 bandwidth, every network), the native build's, and onnxruntime on
every network. Each reports medians (criterion's, or of many batches of runs here); the
table gives, per engine and network, the median over the rounds of those times and their
spread (lowest-highest), and the share of the widest FMA peak, each round's time against the
peak measured by the default build in that round (a shared machine's load moves both).

onnxruntime gets the networks from PyTorch: the default build writes each network's
`state_dict`, the bench input and its output (`STATICNN_BENCH_EXPORT`); this script builds
the same model in PyTorch from `benches/common/nets.rs` (each layer is a `torch.nn` call;
ResNet-8, not a chain, is `tools/gen_graph_fixtures.py`'s module with the same keys),
loads the `state_dict`, checks that PyTorch's output matches staticnn's, exports it with
`torch.onnx.export`, and checks onnxruntime's output too. onnxruntime runs with
`intra_op_num_threads = inter_op_num_threads = 1`, sequential execution, all graph
optimisations, through an I/O binding of preallocated input and output (the least Python
per call); the time of an `Identity` model measured the same way is printed as the floor
that Python adds to every onnxruntime time.

Needs torch, onnx, onnxscript, onnxruntime and safetensors (Python), and cargo.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETS_RS = ROOT / "benches" / "common" / "nets.rs"
# The order of the table (and of `for_each_net!`).
NETS = ["Cifar10Net", "LeNet", "DsCnn", "Mlp", "ResNet8"]
# Networks that are not chains: built from the PyTorch module of tools/gen_graph_fixtures.py
# (whose `state_dict` keys are the declaration's) instead of the text of nets.rs.
GRAPH_MODULES = {"ResNet8": "ResNet8"}
LABELS = {
    "Cifar10Net": "CIFAR-10 tutorial net",
    "LeNet": "LeNet",
    "DsCnn": "DS-CNN (keyword spotting)",
    "Mlp": "MLP 784-256-10",
    "ResNet8": "ResNet-8",
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")).resolve()


def build(native: bool) -> Path:
    """Builds the inference bench; returns the executable."""
    env = dict(os.environ)
    env.pop("CARGO_ENCODED_RUSTFLAGS", None)
    flags = env.get("RUSTFLAGS", "")
    if native:
        env["RUSTFLAGS"] = (flags + " -C target-cpu=native").strip()
        env["CARGO_TARGET_DIR"] = str(target_dir() / "native")
    else:
        env["CARGO_TARGET_DIR"] = str(target_dir())
    log(f"building the {'native' if native else 'default'} bench ...")
    out = subprocess.run(
        ["cargo", "bench", "--bench", "inference", "--no-run", "--message-format=json"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        log(out.stderr)
        raise SystemExit("cargo bench --no-run failed")
    for line in out.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "inference" \
                and msg.get("executable"):
            return Path(msg["executable"])
    raise SystemExit("no inference executable in cargo's output")


def run_staticnn(exe: Path, home: Path, quick: bool) -> dict:
    """Runs one bench binary; returns its @-lines: peaks, L2, nets."""
    args = [str(exe), "--bench", "--noplot"]
    if quick:
        args += ["--warm-up-time", "0.2", "--measurement-time", "1"]
    env = dict(os.environ, CRITERION_HOME=str(home))
    out = subprocess.run(args, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        log(out.stdout[-3000:], out.stderr[-3000:])
        raise SystemExit(f"{exe} failed")
    result = {"peaks": {}, "nets": {}, "l2": None, "level": None}
    for line in out.stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
        if line.startswith("@peak "):
            result["peaks"][int(fields["lanes"])] = float(fields["gflops"])
        elif line.startswith("@l2 "):
            result["l2"] = (float(fields["gbs"]), float(fields["mlp_bound_us"]))
        elif line.startswith("@net "):
            result["nets"][fields["name"]] = (int(fields["macs"]), float(fields["us"]))
            result["level"] = fields["level"]
    return result


# --- PyTorch models from nets.rs -------------------------------------------------------

def parse_nets(text: str) -> dict:
    """{struct name: (input shape, [(key, layer text)])} from the `network!` block."""
    body = text[text.index("network! {"):]
    nets = {}
    for m in re.finditer(r"pub struct (\w+): \[([\d, ]+)\] \{", body):
        start = m.end()
        depth, i = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        inner = "\n".join(l for l in body[start:i - 1].splitlines()
                          if not l.strip().startswith("//"))
        items, depth, cur = [], 0, ""
        for ch in inner:
            if ch == "," and depth == 0:
                items.append(cur.strip())
                cur = ""
                continue
            depth += {"(": 1, ")": -1}.get(ch, 0)
            cur += ch
        if cur.strip():
            items.append(cur.strip())
        layers = []
        for index, item in enumerate(items):
            named = re.match(r"^(\w+)\s*=\s*(.*)$", item, re.S)
            key, layer = (named.group(1), named.group(2)) if named else (str(index), item)
            layers.append((key, " ".join(layer.split())))
        shape = [int(d) for d in m.group(2).split(",")]
        nets[m.group(1)] = (shape, layers)
    return nets


def build_model(name: str, layers):
    import torch.nn as nn
    if name in GRAPH_MODULES:
        sys.path.insert(0, str(ROOT / "tools"))
        import gen_graph_fixtures
        return getattr(gen_graph_fixtures, GRAPH_MODULES[name])()
    namespace = {k: getattr(nn, k) for k in dir(nn) if not k.startswith("_")}
    children = OrderedDict()
    for key, text in layers:
        children[key] = eval(text, {"__builtins__": {}}, namespace)  # noqa: S307 (our own text)
    return nn.Sequential(children)


class OrtNet:
    """One network in onnxruntime, checked against staticnn's output."""

    def __init__(self, name: str, layers, export: Path, onnx_dir: Path):
        import numpy as np
        import onnxruntime as ort
        import torch
        from safetensors.torch import load_file

        tensors = load_file(str(export / f"{name}.safetensors"))
        model = build_model(name, layers).eval()
        state = {k[len("param."):]: v for k, v in tensors.items() if k.startswith("param.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise SystemExit(f"{name}: state_dict mismatch: {missing} {unexpected}")
        x = tensors["input"].unsqueeze(0)
        want = tensors["output"]
        with torch.no_grad():
            got = model(x)[0]
        self.check(name, "PyTorch", got.numpy(), want.numpy())
        path = onnx_dir / f"{name}.onnx"
        onnx_dir.mkdir(parents=True, exist_ok=True)
        with torch.no_grad():
            torch.onnx.export(model, (x,), str(path), input_names=["x"], output_names=["y"],
                              dynamo=True, optimize=True, verbose=False)
        self.session = make_session(str(path))
        self.x = x.numpy().astype(np.float32)
        y = self.session.run(None, {self.session.get_inputs()[0].name: self.x})[0][0]
        self.check(name, "onnxruntime", y, want.numpy())
        self.binding = bind(self.session, self.x)

    @staticmethod
    def check(name, who, got, want):
        import numpy as np
        bad = np.abs(got - want) > 1e-4 * (1 + np.abs(want))
        if got.shape != want.shape or bad.any():
            raise SystemExit(f"{name}: {who}'s output differs from staticnn's: "
                             f"max |diff| {np.abs(got - want).max()}")

    def time_us(self, seconds: float) -> float:
        return time_binding(self.session, self.binding, seconds)


def make_session(path: str):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def bind(session, x):
    import numpy as np
    import onnxruntime as ort
    binding = session.io_binding()
    binding.bind_ortvalue_input(session.get_inputs()[0].name, ort.OrtValue.ortvalue_from_numpy(x))
    out = session.get_outputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in out.shape]
    binding.bind_ortvalue_output(out.name,
                                 ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, np.float32)))
    return binding


def time_binding(session, binding, seconds: float) -> float:
    """Median over batches of the mean time per run, in microseconds."""
    run = session.run_with_iobinding
    for _ in range(200):
        run(binding)
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 0.1:
        run(binding)
        n += 1
    per_batch = max(1, n // 20)  # batches of about 5 ms
    means = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(means) < 10:
        t = time.perf_counter_ns()
        for _ in range(per_batch):
            run(binding)
        means.append((time.perf_counter_ns() - t) / per_batch / 1000)
    return statistics.median(means)


def identity_floor(onnx_dir: Path, seconds: float) -> float:
    """The time of an onnxruntime call on a 10-float Identity model: Python's share."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])])
    path = onnx_dir / "identity.onnx"
    onnx.save(helper.make_model(graph), str(path))
    session = make_session(str(path))
    return time_binding(session, bind(session, np.zeros((1, 10), np.float32)), seconds)


def load_now() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def cpu_name() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.*)", info).group(1).strip()
        family = re.search(r"cpu family\s*:\s*(\d+)", info).group(1)
        number = re.search(r"model\s*:\s*(\d+)", info).group(1)
        return f"{model} (family {family} model {number})"
    except (OSError, AttributeError):
        return "unknown CPU"


def spread(values) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if len(values) > 1 else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round, short measurements")
    parser.add_argument("--no-native", action="store_true", help="skip the native build")
    parser.add_argument("--no-onnx", action="store_true", help="skip onnxruntime")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    ort_seconds = 0.5 if args.quick else 2.0

    engines = {"default": build(False)}
    if not args.no_native:
        engines["native"] = build(True)
    work = target_dir() / "bench-table"
    export = work / "export"
    subprocess.run([str(engines["default"])], env=dict(os.environ, STATICNN_BENCH_EXPORT=str(export)),
                   check=True, capture_output=True)
    ort_nets = {}
    if not args.no_onnx:
        import onnxruntime
        log(f"exporting to ONNX, onnxruntime {onnxruntime.__version__} ...")
        nets = parse_nets(NETS_RS.read_text())
        for name in NETS:
            ort_nets[name] = OrtNet(name, nets[name][1], export, work / "onnx")
        floor = identity_floor(work / "onnx", ort_seconds)

    results = {e: [] for e in engines}
    ort_times = {n: [] for n in ort_nets}
    loads = []
    for r in range(rounds):
        loads.append(load_now())
        for engine, exe in engines.items():
            log(f"round {r + 1}/{rounds}: staticnn {engine} build ...")
            results[engine].append(run_staticnn(exe, work / f"criterion-{engine}", args.quick))
        for name, net in ort_nets.items():
            log(f"round {r + 1}/{rounds}: onnxruntime {name} ...")
            ort_times[name].append(net.time_us(ort_seconds))
        loads.append(load_now())

    # The widest peak, per round, from the default build's run.
    base = results["default"]
    widest = max(base[0]["peaks"]) if base[0]["peaks"] else None
    peak = [res["peaks"].get(widest) for res in base] if widest else [None] * rounds

    print()
    print(f"CPU: {cpu_name()}; one thread, batch 1, f32; {rounds} round(s); "
          f"load average (1 min) during the rounds: {', '.join(loads)}")
    for lanes in sorted(base[0]["peaks"]):
        vals = [res["peaks"][lanes] for res in base]
        print(f"FMA peak, {lanes} lanes: {statistics.median(vals):.1f} GFLOP/s "
              f"(rounds: {spread(vals)})")
    if base[0]["l2"]:
        gbs = [res["l2"][0] for res in base]
        bound = [res["l2"][1] for res in base]
        print(f"L2 read bandwidth: {statistics.median(gbs):.1f} GB/s (rounds: {spread(gbs)}): "
              f"the MLP's bound (its weights read once) {statistics.median(bound):.2f} us")
    print(f"staticnn levels: default build {base[0]['level']}"
          + (f", native build {results['native'][0]['level']}" if "native" in results else ""))
    if ort_nets:
        print(f"onnxruntime per-call floor (Identity model, same binding): {floor:.2f} us")
    print(f"times: median over rounds (lowest-highest); % of the {widest}-lane FMA peak of the "
          "same round (median over rounds)")
    cols = [("staticnn default", "default"), ("staticnn native", "native")]
    cols = [(title, key) for title, key in cols if key in results]
    header = f"| network | MACs | " + " | ".join(f"{t} | %" for t, _ in cols)
    if ort_nets:
        header += " | onnxruntime 1T | % | default / native | onnxruntime / default"
    print(header + " |")
    print("|" + " --- |" * header.count("|"))
    for name in NETS:
        macs = base[0]["nets"][name][0]
        row = f"| {LABELS[name]} | {macs / 1e6:.2f} M"
        times = {}
        for _, key in cols:
            t = [res["nets"][name][1] for res in results[key]]
            times[key] = t
            pct = [2 * macs / (us * 1000) / p * 100 for us, p in zip(t, peak) if p]
            row += f" | {statistics.median(t):.1f} us ({spread(t)}) | {statistics.median(pct):.0f} %"
        if ort_nets:
            t = ort_times[name]
            pct = [2 * macs / (us * 1000) / p * 100 for us, p in zip(t, peak) if p]
            row += f" | {statistics.median(t):.1f} us ({spread(t)}) | {statistics.median(pct):.0f} %"
            if "native" in times:
                ratio = [d / n for d, n in zip(times["default"], times["native"])]
                row += f" | {statistics.median(ratio):.2f}"
            else:
                row += " | -"
            ratio = [o / d for o, d in zip(t, times["default"])]
            row += f" | {statistics.median(ratio):.2f}"
        print(row + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
