#!/usr/bin/env python3
"""Writes a playbook of STEPS steps (default 10,000) to PATH: with `expressions`, every value
that can be is a ${…} (arithmetic, functions, comparisons, paths); with `plain`, the same
steps with the values written out. The same shape as Tests/RunnerTests/ExpressionBenchmark.swift.

    generate.py STEPS plain|expressions PATH
"""
import sys

def playbook(steps, expressions):
    out = ["name: expression benchmark", "vars:", "  base: 1073741824", "  dev: tablet",
           "  info: {json: {virtual-size: 67108864, format: qcow2}}", "  drivers: [usb-kbd, usb-mouse, usb-tablet]",
           "targets:", "  vm: {connect: unix:/nonexistent}", "steps:"]
    for i in range(steps):
        kind = i % 5
        if expressions:
            out += [
                [f"  - execute: block_resize", f"    arguments: {{node-name: \"disk${{{i} % 4}}\", size: \"${{info.json.virtual-size + base}}\"}}"],
                [f"  - when: \"${{info.json.format == 'qcow2' and len(drivers) > 1}}\"", f"    log: \"step {i}: ${{dev}}${{{i} + 1}}\""],
                [f"  - set: {{size-{i}: \"${{max(info.json.virtual-size, base) // 1048576}}\"}}"],
                [f"  - assert: \"${{drivers[{i} % len(drivers)] in ['usb-kbd', 'usb-mouse', 'usb-tablet']}}\""],
                [f"  - execute: device_add", f"    arguments: {{driver: \"${{drivers[{i} % 3]}}\", id: \"${{'dev' + str({i})}}\"}}"],
            ][kind]
        else:
            out += [
                [f"  - execute: block_resize", f"    arguments: {{node-name: disk{i % 4}, size: 1140850688}}"],
                [f"  - when: true", f"    log: \"step {i}: tablet{i + 1}\""],
                [f"  - set: {{size-{i}: 1024}}"],
                [f"  - assert: true"],
                [f"  - execute: device_add", f"    arguments: {{driver: usb-kbd, id: dev{i}}}"],
            ][kind]
    return "\n".join(out) + "\n"

if __name__ == "__main__":
    steps, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(path, "w") as f:
        f.write(playbook(steps, mode == "expressions"))
