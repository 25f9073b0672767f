#!/usr/bin/python3
"""Labelled prompt sets of the shapes world, for measuring prompt adherence with the Java engine.

Writes config/prompts/shapes-{single,single-held-out,pair,pair-held-out,video}.jsonl: one JSON object
per line, {"prompt", "kind", "held_out", "expected"}, where "expected" maps each evaluator head
(models/shapes-eval/labels.json) to the label an image following the prompt must show. Pairs use
the evaluator's canonical order: object 1 is the left object of a horizontal pair and the top one
of a vertical pair, so "A to the right of B" expects obj1 = B, obj2 = A, orientation horizontal.

Run: /usr/bin/python3 tools/shapes/make_prompt_sets.py   (deterministic; seeds fixed below)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import world  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SETS = [  # file name, kind, count, seed, held out
    ("shapes-single", "single", 500, 101, False),
    ("shapes-single-held-out", "single", 200, 102, True),
    ("shapes-pair", "pair", 300, 103, False),
    ("shapes-pair-held-out", "pair", 100, 104, True),
    ("shapes-video", "video", 200, 105, False),
]


def expected(scene):
    a = world.attributes(scene)
    if a["kind"] == "single":
        return {"count": "1", "shape": a["shape"], "colour": a["colour"], "size": a["size"],
                "position": a["position"], "background": a["background"]}
    if a["kind"] == "pair":
        first = (a["shape1"], a["colour1"])
        second = (a["shape2"], a["colour2"])
        # canonical order: the left (or top) object is obj1
        if a["relation"] in ("left of", "above"):
            o1, o2 = first, second
        else:
            o1, o2 = second, first
        return {"count": "2", "obj1_shape": o1[0], "obj1_colour": o1[1], "obj2_shape": o2[0],
                "obj2_colour": o2[1],
                "orientation": "horizontal" if a["relation"] in ("left of", "right of") else "vertical",
                "background": a["background"]}
    return {"direction": a["direction"], "shape": a["shape"], "colour": a["colour"],
            "background": a["background"]}


def main():
    out_dir = os.path.join(ROOT, "config", "prompts")
    os.makedirs(out_dir, exist_ok=True)
    for name, kind, n, seed, held_out in SETS:
        scenes = world.prompt_set(kind, n, seed, held_out)
        path = os.path.join(out_dir, name + ".jsonl")
        with open(path, "w") as f:
            for s in scenes:
                text = world.caption(s)
                assert world.parse_caption(text) == world.attributes(s)
                f.write(json.dumps({"prompt": text, "kind": kind, "held_out": held_out,
                                    "expected": expected(s)}) + "\n")
        print("wrote", os.path.relpath(path, ROOT), len(scenes))


if __name__ == "__main__":
    main()
