#!/usr/bin/python3
"""Independent reference for CLIP byte-level BPE tokenization (test fixtures only).

Written from the algorithm (openai/CLIP simple_tokenizer / transformers CLIPTokenizer without
ftfy), standard library only.  Python's `re` has no \\p{L}, so the pre-tokenization regex

    <\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+

is emulated by a hand-written scanner using unicodedata categories.

The script
  1. LEARNS a small BPE vocabulary (a few hundred merges) from the prompt-like corpus below,
  2. writes it in the real CLIP file format to
     src/engine/src/test/resources/tokenizer/clip-tiny/{vocab.json,merges.txt,tokenizer_config.json},
  3. encodes the test prompts under two configurations (SD 1.x style: pad <|endoftext|>,
     length 77; SD 2.x style: pad "!", length 24) and writes expected.json.

Run from the repository root:  /usr/bin/python3 tools/clip_bpe_reference.py
"""
import json
import os
import sys
import unicodedata

OUT_DIR = os.path.join("src", "engine", "src", "test", "resources", "tokenizer", "clip-tiny")
NUM_MERGES = 320
SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
EOW = "</w>"
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]

CORPUS = """
a photo of a cat sitting on a windowsill, highly detailed, 8k, sharp focus
a photograph of an astronaut riding a horse on the moon, cinematic lighting
portrait of a woman with red hair, oil painting, trending on artstation
a cozy cafe in paris at night, rain, neon lights, café au lait on the table
masterpiece, best quality, ultra detailed, 4k wallpaper, dramatic lighting!!!
it's a beautiful day in the mountains, there's a lake and the sky's blue
don't forget the dog's ball; they're playing in the park and we've got snacks
I'm painting a landscape you'll love, he'd say it's the best one I've seen
a red car parked on a street in tokyo at sunset, 35mm film photo, kodak
a bowl of fruit: apples, oranges, bananas and grapes; still life painting
the quick brown fox jumps over the lazy dog (digital art) [concept art]
a castle on a hill surrounded by fog, fantasy art, matte painting, 1024x768
an old man reading a book by the fireplace, warm light, photorealistic
a cute robot holding a flower 🌸, pixar style, 3d render, octane render
cyberpunk city street at night with flying cars, blade runner style
a watercolor painting of a small village by the sea, soft colors
a dragon flying over a medieval city, epic, highly detailed, artstation
close-up photo of a bee on a sunflower, macro photography, bokeh
a cat and a dog sleeping together on a sofa, cute, soft lighting
a bowl of ramen with egg and noodles, food photography, 50mm lens
a mountain lake at dawn with mist, reflections, landscape photography
the café's menu: croissant, crème brûlée & espresso for 5 euros
beautiful portrait of a girl with flowers in her hair, studio lighting
a spaceship landing on mars, red desert, science fiction concept art
an ancient temple in the jungle covered with vines, mysterious, 8k uhd
cherry blossom 🌸 garden in spring, pink petals 🌸, japanese garden 🌸
""".strip().splitlines()


# ----------------------------------------------------------------------------------------------
# byte <-> unicode table (GPT-2 / CLIP): printable Latin-1 bytes stand for themselves, the other
# 68 bytes get the code points 256, 257, ... in byte order.

def byte_table():
    keep = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    order = sorted(keep) + [b for b in range(256) if b not in keep]
    table = {}
    extra = 0
    for b in order:
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return order, table


BYTE_ORDER, BYTE_TO_CHAR = byte_table()


# ----------------------------------------------------------------------------------------------
# text cleanup and pre-tokenization

def clean(text):
    text = unicodedata.normalize("NFC", text)
    # collapse runs of (Unicode) whitespace into one space, strip, lowercase
    pieces = []
    word = []
    for ch in text:
        if ch.isspace():
            if word:
                pieces.append("".join(word))
                word = []
        else:
            word.append(ch)
    if word:
        pieces.append("".join(word))
    return " ".join(pieces).lower()


def is_letter(ch):
    return unicodedata.category(ch).startswith("L")


def is_number(ch):
    return unicodedata.category(ch).startswith("N")


def pre_tokenize(text):
    """Emulates re.findall of CLIP's pattern: alternatives tried in order at each position."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith(SOT, i):
            out.append(SOT)
            i += len(SOT)
            continue
        if text.startswith(EOT, i):
            out.append(EOT)
            i += len(EOT)
            continue
        hit = next((c for c in CONTRACTIONS if text.startswith(c, i)), None)
        if hit is not None:
            out.append(hit)
            i += len(hit)
            continue
        ch = text[i]
        if is_letter(ch):
            j = i
            while j < n and is_letter(text[j]):
                j += 1
            out.append(text[i:j])
            i = j
        elif is_number(ch):
            out.append(ch)
            i += 1
        elif not ch.isspace():
            j = i
            while j < n and not (text[j].isspace() or is_letter(text[j]) or is_number(text[j])):
                j += 1
            out.append(text[i:j])
            i = j
        else:
            i += 1  # whitespace is not part of any match
    return out


def to_symbols(word):
    """A pre-token as byte characters, </w> glued to the last one."""
    chars = [BYTE_TO_CHAR[b] for b in word.encode("utf-8")]
    chars[-1] = chars[-1] + EOW
    return chars


# ----------------------------------------------------------------------------------------------
# learning

def learn_merges(lines, num_merges):
    counts = {}
    for line in lines:
        for tok in pre_tokenize(clean(line)):
            if tok in (SOT, EOT):
                continue
            key = tuple(to_symbols(tok))
            counts[key] = counts.get(key, 0) + 1
    words = [[list(k), c] for k, c in sorted(counts.items())]
    merges = []
    for _ in range(num_merges):
        pair_counts = {}
        for syms, c in words:
            for a, b in zip(syms, syms[1:]):
                pair_counts[(a, b)] = pair_counts.get((a, b), 0) + c
        if not pair_counts:
            break
        # most frequent pair; ties go to the lexicographically smallest pair
        best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
        if pair_counts[best] < 1:
            break
        merges.append(best)
        a, b = best
        for entry in words:
            syms = entry[0]
            merged = []
            k = 0
            while k < len(syms):
                if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                    merged.append(a + b)
                    k += 2
                else:
                    merged.append(syms[k])
                    k += 1
            entry[0] = merged
    return merges


def build_vocab(merges):
    tokens = [BYTE_TO_CHAR[b] for b in BYTE_ORDER]
    tokens += [t + EOW for t in tokens]
    tokens += [a + b for a, b in merges]
    tokens += [SOT, EOT]
    vocab = {}
    for t in tokens:
        if t not in vocab:  # a merge result can repeat an earlier token; keep ids contiguous
            vocab[t] = len(vocab)
    return vocab


# ----------------------------------------------------------------------------------------------
# encoding

def bpe(symbols, ranks):
    syms = list(symbols)
    while len(syms) > 1:
        ranked = [(ranks[(syms[k], syms[k + 1])], k) for k in range(len(syms) - 1)
                  if (syms[k], syms[k + 1]) in ranks]
        if not ranked:
            break
        rank, _ = min(ranked)
        a, b = next(p for p, r in ranks.items() if r == rank)
        merged = []
        k = 0
        while k < len(syms):
            if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                merged.append(a + b)
                k += 2
            else:
                merged.append(syms[k])
                k += 1
        syms = merged
    return syms


def bpe_tokens(prompt, ranks):
    out = []
    for tok in pre_tokenize(clean(prompt)):
        if tok in (SOT, EOT):
            out.append(tok)
        else:
            out.extend(bpe(to_symbols(tok), ranks))
    return out


def encode(prompt, vocab, ranks, max_length, pad_token):
    toks = bpe_tokens(prompt, ranks)
    body = [vocab[t] for t in toks]
    count = len(body) + 2
    body = body[: max_length - 2]
    ids = [vocab[SOT]] + body + [vocab[EOT]]
    ids += [vocab[pad_token]] * (max_length - len(ids))
    return toks, {"ids": ids, "token_count": count, "truncated": count > max_length}


LONG = ("a highly detailed portrait of an astronaut riding a horse through a neon cyberpunk city at "
        "night, rain, reflections, cinematic lighting, volumetric fog, 8k, trending on artstation, "
        "masterpiece, best quality, ultra detailed, sharp focus, intricate details, vivid colors, "
        "dramatic sky, wide angle lens, depth of field, bokeh, film grain, golden hour, epic "
        "composition, concept art by a famous painter, octane render, unreal engine, 4k wallpaper")

PROMPTS = [
    "",
    "   ",
    "a photo of a cat",
    "A Photo Of A CAT",
    "   a   photo\tof\n a   cat   ",
    "tab\tseparated\r\nlines",
    "a\u00a0photo\u3000of\u2003a cat",
    "it's a dog's life, isn't it?",
    "they're we've I'm you'll he'd",
    "'sup 'twas 'tis",
    "don't",
    "café au lait",
    "cafe\u0301 au lait",
    "naïve résumé Ünïcödé",
    "ÀÉÎ ÕÜ ΟΔΟΣ",
    "a cute robot holding a flower 🌸",
    "an unseen emoji 🎨 and 🐱🐶",
    "1024x768, 4k, 8k uhd",
    "½ ² ³ 42 ٣",
    "masterpiece!!! (best quality:1.2), [ugly]",
    "hello---world...!!!",
    "$100 & 50% off #1 @home",
    "<|startoftext|>hello<|endoftext|>",
    "!<|endoftext|> x",
    "xylophone zebra quux",
    "supercalifragilisticexpialidocious",
    "aaaa aaaaaaa",
    "東京 tower at night",
    "a photograph of an astronaut riding a horse on the moon, cinematic lighting",
    LONG,
    LONG + ", " + LONG,
    "a " * 75,
    "a " * 76,
    "a " * 22,
    "a " * 23,
]

CONFIGS = {
    "sd1": {"model_max_length": 77, "pad_token": EOT},
    "sd2": {"model_max_length": 24, "pad_token": "!"},
}


def main():
    merges = learn_merges(CORPUS, NUM_MERGES)
    vocab = build_vocab(merges)
    ranks = {}
    for r, m in enumerate(merges):
        ranks[m] = r
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(OUT_DIR, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(a + " " + b + "\n")
    config = {
        "bos_token": SOT,
        "eos_token": EOT,
        "unk_token": EOT,
        "pad_token": CONFIGS["sd1"]["pad_token"],
        "model_max_length": CONFIGS["sd1"]["model_max_length"],
        "do_lower_case": True,
        "tokenizer_class": "CLIPTokenizer",
    }
    with open(os.path.join(OUT_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")

    cases = []
    for prompt in PROMPTS:
        case = {"prompt": prompt}
        for name, cfg in CONFIGS.items():
            toks, enc = encode(prompt, vocab, ranks, cfg["model_max_length"], cfg["pad_token"])
            case["tokens"] = toks
            case[name] = enc
        cases.append(case)
    with open(os.path.join(OUT_DIR, "expected.json"), "w", encoding="utf-8") as f:
        f.write("{\n\"configs\": " + json.dumps(CONFIGS, ensure_ascii=False) + ",\n\"cases\": [\n")
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")
    print("merges:", len(merges), "vocab:", len(vocab), "cases:", len(cases), file=sys.stderr)


if __name__ == "__main__":
    main()
