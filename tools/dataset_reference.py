#!/usr/bin/env python3
"""An independent reference (standard library only) of how a dataset spec expands into one night's request.

    python3 tools/dataset_reference.py SPEC_JSON_FILE NIGHT

SPEC_JSON_FILE holds a spec's canonical JSON (what a night's request embeds under ``dataset.spec``); NIGHT is
YYYY-MM-DD. Prints one JSON object (UTF-8):

    {"requestId": "dataset:NAME:NIGHT:HASH12",
     "prompts": [{"prompt", "negative" (only when the template has one), "seed" (sample mode only), "labels"}, ...],
     "seeds": {"count": C, "base": B},        # the night's seeds per prompt and first seed (sample mode too)
     "splits": [...],                          # the split of each prompt entry, in order; null for product + by item
     "itemSplits": [...]}                      # the split of every item, in item order

Written from the rules only (NightExpansion's class Javadoc, DatasetSpec.Splits.assign, DatasetSpec's field
list, docs/REQUESTS.md "Prompts" and "Items"), not from the Java code, so that the test
NightExpansionReferenceTest can hold the two against each other:

1. Prompts. product: for each template in order, every combination of its slots' values, slots nested in order
   of first use in the template, the last varying fastest. sample N: N draws from SplitMix64 seeded with
   combination.seed; each draw picks a template by weight, then each of its slots' values by weight (slots in
   order of first use), each pick from one unit u = (next >>> 11) * 2^-53 as the first index whose cumulative
   weight exceeds u (the last if none). Unwritten weights are equal: 1/n.
   Placeholders are {name}, name = [A-Za-z_][A-Za-z0-9_]*, replaced in one pass (a value holding "{other}" stays
   text; other braces are plain text). A template's negative is its entry's negative, verbatim.
2. Labels: the slot values by slot name, and "dataset.template": the template's index (decimal string).
3. Seeds. base = seeds.base (policy fixed) or, for policy date, the first 8 bytes of
   SHA-256("dataset-seeds:NAME:YYYY-MM-DD") as an unsigned big-endian number modulo (2^53 - span), span = the
   seeds the night needs (product: count; sample: N * count). product: every prompt gets base .. base+count-1;
   sample: draw d's s-th item is its own entry with seed base + d*count + s.
4. The request id: "dataset:NAME:NIGHT:" + the first 12 hex of SHA-256 of the spec file's bytes as given.

Splits (DatasetSpec.Splits.assign): u = the top 53 bits of the first 8 bytes of SHA-256("split:" + prompt)
(by prompt) or SHA-256("split:" + prompt + NUL + seed) (by item; seed in decimal), / 2^53; validation when
u < validation, test when u < validation + test, else train.
"""

import datetime
import hashlib
import json
import re
import sys

MASK64 = (1 << 64) - 1
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SplitMix64:
    """The standard SplitMix64 (Steele, Lea and Flood 2014), all arithmetic mod 2^64."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def unit(self):
        # (next >>> 11) * 2^-53: an exact double in [0, 1)
        return (self.next() >> 11) * 2.0 ** -53


def pick(weights, u):
    """The first index whose cumulative weight exceeds u; the last if none does."""
    cumulative = 0.0
    for i, w in enumerate(weights):
        cumulative += w
        if cumulative > u:
            return i
    return len(weights) - 1


def slot_order(text):
    """Slot names in order of first use in the template."""
    order = []
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) not in order:
            order.append(m.group(1))
    return order


def slot_values(node):
    """A slot's [(value, weight)] in order: a list (equal weights 1/n) or an object value -> weight."""
    if isinstance(node, list):
        return [(v, 1.0 / len(node)) for v in node]
    if isinstance(node, dict):
        return [(v, float(w)) for v, w in node.items()]
    raise SystemExit("a slot must be a list or an object: %r" % (node,))


def fill(text, values):
    """One pass: each {name} becomes its slot's value; what a value holds is never read again."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def prompt(template, index, values):
    labels = dict(values)
    labels["dataset.template"] = str(index)
    out = {"prompt": fill(template["template"], values)}
    if template.get("negative") is not None:
        out["negative"] = template["negative"]
    out["labels"] = dict(sorted(labels.items()))
    return out


def product_prompts(templates):
    out = []
    for t, template in enumerate(templates):
        order = slot_order(template["template"])
        options = [slot_values(template["slots"][name]) for name in order]
        at = [0] * len(order)
        while True:
            out.append(prompt(template, t, {name: options[i][at[i]][0] for i, name in enumerate(order)}))
            i = len(order) - 1
            while i >= 0:
                at[i] += 1
                if at[i] < len(options[i]):
                    break
                at[i] = 0
                i -= 1
            if i < 0:
                break
    return out


def sample_prompts(templates, count, seed):
    if all("weight" in t for t in templates):
        template_weights = [float(t["weight"]) for t in templates]
    else:
        template_weights = [1.0 / len(templates)] * len(templates)
    rng = SplitMix64(seed)
    out = []
    for _ in range(count):
        t = pick(template_weights, rng.unit())
        template = templates[t]
        values = {}
        for name in slot_order(template["template"]):
            options = slot_values(template["slots"][name])
            values[name] = options[pick([w for _, w in options], rng.unit())][0]
        out.append(prompt(template, t, values))
    return out


def split(splits, text, seed):
    if splits["by"] == "item":
        key = "split:" + text + "\0" + str(seed)
    else:
        key = "split:" + text
    first = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    u = (first >> 11) * 2.0 ** -53
    if u < splits["validation"]:
        return "validation"
    if u < splits["validation"] + splits["test"]:
        return "test"
    return "train"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: dataset_reference.py SPEC_JSON_FILE YYYY-MM-DD\n")
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    spec = json.loads(raw.decode("utf-8"))
    night = datetime.date.fromisoformat(argv[2]).isoformat()
    name = spec["name"]
    templates = spec["templates"]
    combination = spec.get("combination", "product")
    seeds = spec.get("seeds", {})
    count = int(seeds.get("count", 1))
    sample = None if combination == "product" else (int(combination["sample"]), int(combination["seed"]))

    prompts = product_prompts(templates) if sample is None else sample_prompts(templates, *sample)

    if seeds.get("policy", "fixed") == "date":
        span = count if sample is None else sample[0] * count
        digest = hashlib.sha256(("dataset-seeds:%s:%s" % (name, night)).encode("utf-8")).digest()
        base = int.from_bytes(digest[:8], "big") % ((1 << 53) - span)
    else:
        base = int(seeds.get("base", 0))

    if sample is None:
        entries = prompts
    else:
        entries = []
        for d, p in enumerate(prompts):
            for s in range(count):
                e = {"prompt": p["prompt"]}
                if "negative" in p:
                    e["negative"] = p["negative"]
                e["seed"] = base + d * count + s
                e["labels"] = p["labels"]
                entries.append(e)

    splits = spec.get("splits", {"validation": 0, "test": 0, "by": "prompt"})
    if sample is None:
        items = [(p["prompt"], base + s) for p in entries for s in range(count)]
        entry_splits = None if splits["by"] == "item" else [split(splits, p["prompt"], base) for p in entries]
    else:
        items = [(e["prompt"], e["seed"]) for e in entries]
        entry_splits = [split(splits, t, s) for t, s in items]

    result = {
        "requestId": "dataset:%s:%s:%s" % (name, night, hashlib.sha256(raw).hexdigest()[:12]),
        "prompts": entries,
        "seeds": {"count": count, "base": base},
        "splits": entry_splits,
        "itemSplits": [split(splits, t, s) for t, s in items],
    }
    sys.stdout.buffer.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
