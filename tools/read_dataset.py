#!/usr/bin/python3
"""Independent reader of one exported dataset night (Python 3 standard library only).

It checks, strictly and without any project code, that a night exported by the Java exporter loads as a
Hugging Face imagefolder and as WebDataset tar shards:

    README.md                      the dataset card (exists, UTF-8)
    SHA256SUMS                     "<64 lowercase hex>  <relative path>" lines sorted by path (byte order),
                                   listing every file but SHA256SUMS and README.md
    <split>/metadata.jsonl         split in train, validation, test; the folder only when it has samples
    <split>/<key>.png|.mp4         the media, key = the item index as 10 zero-padded digits
    webdataset/<split>-NNNNNN.tar  ustar shards numbered from 000000 per split: <key>.<ext> then <key>.json
                                   members, regular files, mode 0644, uid/gid 0, empty uname/gname,
                                   mtime 946684800

Run: python3 tools/read_dataset.py DIR [--shard-size N] [--expect-count N]
Prints one JSON summary to stdout (also when the night is invalid). Exit 0 when the night is valid; 1 with
each problem on stderr, one line each naming the file and the rule; 2 for a bad command line.
"""
import argparse
import hashlib
import json
import os
import re
import struct
import sys
import tarfile
import zlib

SPLITS = ("train", "validation", "test")
MTIME = 946684800
RECORD = 10240
EXTENSIONS = {"image/png": ".png", "video/mp4": ".mp4"}
MEDIA_NAME = re.compile(r"^([0-9]{10})\.(png|mp4)$")
SHARD_NAME = re.compile(r"^(train|validation|test)-([0-9]{6})\.tar$")
KEY = re.compile(r"^[0-9]{10}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
SUMS_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CHANNELS = {0: 1, 2: 3, 6: 4}
REQUIRED = ("file_name", "key", "index", "split", "prompt", "negative_prompt", "seed", "labels", "model",
            "model_sha256", "sha256", "media_type", "params")
OPTIONAL = ("quality",)
REQUIRED_PARAMS = ("sampler", "steps", "guidance", "width", "height")


class Problems:
    """The problems found, each one line: the file (relative to DIR, with '/'), then the rule broken."""

    def __init__(self):
        self.lines = []

    def add(self, where, rule):
        self.lines.append(f"{where}: {rule}")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def canonical(v):
    """A value whose equality is JSON equality with types kept apart (Python has 1 == 1.0 == True)."""
    if isinstance(v, dict):
        return ("object", tuple(sorted((k, canonical(x)) for k, x in v.items())))
    if isinstance(v, list):
        return ("array", tuple(canonical(x) for x in v))
    return (type_name(v), v)


def strict_json(text):
    """json.loads refusing duplicate keys and NaN/Infinity; raises ValueError."""
    def pairs(items):
        obj = {}
        for k, x in items:
            if k in obj:
                raise ValueError(f"duplicate key '{k}'")
            obj[k] = x
        return obj

    def constant(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


class Night:
    def __init__(self, root, shard_size, expect_count):
        self.root = root
        self.shard_size = shard_size
        self.expect_count = expect_count
        self.problems = Problems()
        self.hashes = {}            # relative path -> sha256 of the file, computed once
        self.lines = {}             # split -> {key: metadata object}
        self.order = {}             # split -> keys in metadata.jsonl order
        self.shards = {}            # split -> number of shards
        self.fields = set()
        self.sums = 0
        self.media_types = set()

    def path(self, rel):
        return os.path.join(self.root, *rel.split("/"))

    def file_hash(self, rel):
        if rel not in self.hashes:
            h = hashlib.sha256()
            with open(self.path(rel), "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            self.hashes[rel] = h.hexdigest()
        return self.hashes[rel]

    # ---- the layout -------------------------------------------------------------------------------------

    def files(self):
        """Every file below DIR, relative with '/', sorted; a folder outside the layout, a link or anything
        but a regular file is a problem."""
        found = []
        for top, dirs, names in os.walk(self.root):
            dirs.sort()
            for name in sorted(dirs + names):
                full = os.path.join(top, name)
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                if os.path.islink(full):
                    self.problems.add(rel, "a symbolic link; the export holds regular files and folders only")
                elif os.path.isdir(full):
                    if rel not in SPLITS + ("webdataset",):
                        self.problems.add(rel + "/", "not part of the export layout (the only folders are "
                                                     "train/, validation/, test/ and webdataset/)")
                elif os.path.isfile(full):
                    found.append(rel)
                else:
                    self.problems.add(rel, "not a regular file or folder")
        return sorted(found)

    def check_layout(self, files):
        for rel in files:
            parts = rel.split("/")
            if len(parts) == 1:
                if parts[0] not in ("README.md", "SHA256SUMS"):
                    self.problems.add(rel, "not part of the export layout (top level holds README.md, "
                                           "SHA256SUMS, train/, validation/, test/, webdataset/)")
            elif len(parts) == 2 and parts[0] in SPLITS:
                if parts[1] != "metadata.jsonl" and not MEDIA_NAME.match(parts[1]):
                    self.problems.add(rel, "not part of the export layout (a split folder holds metadata.jsonl "
                                           "and <10-digit key>.png or .mp4 media)")
            elif len(parts) == 2 and parts[0] == "webdataset":
                if not SHARD_NAME.match(parts[1]):
                    self.problems.add(rel, "not part of the export layout (webdataset/ holds "
                                           "<split>-NNNNNN.tar shards, split in train, validation, test)")
            elif parts[0] in SPLITS + ("webdataset",):
                self.problems.add(rel, "not part of the export layout (no folder below a split or webdataset/)")
        if "README.md" not in files:
            self.problems.add("README.md", "missing (the dataset card)")
        else:
            try:
                with open(self.path("README.md"), "rb") as f:
                    f.read().decode("utf-8")
            except UnicodeDecodeError as e:
                self.problems.add("README.md", f"not UTF-8 ({e})")

    # ---- metadata and media ------------------------------------------------------------------------------

    def check_split(self, split, files):
        folder = [rel for rel in files if rel.startswith(split + "/")]
        meta = split + "/metadata.jsonl"
        if meta not in folder:
            self.problems.add(meta, "missing; a split folder holds metadata.jsonl")
            return
        with open(self.path(meta), "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.problems.add(meta, f"not UTF-8 ({e})")
            return
        if not text:
            self.problems.add(meta, "empty; a split folder exists only when it has samples")
            return
        if not text.endswith("\n"):
            self.problems.add(meta, "the last line is not terminated by '\\n'")
        lines = self.lines.setdefault(split, {})
        order = self.order.setdefault(split, [])
        listed = set()
        last_index = None
        for number, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
            where = f"{meta} line {number}"
            if line.endswith("\r"):
                self.problems.add(where, "ends with '\\r'; lines end with '\\n' only")
            try:
                obj = strict_json(line)
            except ValueError as e:
                self.problems.add(where, f"not a JSON object ({e})")
                continue
            if not isinstance(obj, dict):
                self.problems.add(where, f"not a JSON object (a JSON {type_name(obj)})")
                continue
            self.fields.update(obj.keys())
            ok = self.check_line(where, split, obj)
            if isinstance(obj.get("file_name"), str):
                listed.add(obj["file_name"])
            key = obj.get("key")
            if isinstance(key, str) and KEY.match(key):
                where = f"{meta} line {number} (key {key})"
                for other, seen in self.lines.items():
                    if key in seen:
                        self.problems.add(where, f"key {key} is already a sample of split {other}: keys are "
                                                 "unique across splits")
                        break
                else:
                    lines[key] = obj
                    order.append(key)
            if not ok:
                continue
            if last_index is not None and obj["index"] <= last_index:
                self.problems.add(where, f"index {obj['index']} does not follow {last_index}: lines are "
                                         "ordered by index ascending, each index once")
            last_index = obj["index"]
            self.check_media(split, where, obj, files)
        for rel in folder:
            name = rel.split("/", 1)[1]
            if MEDIA_NAME.match(name) and name not in listed:
                self.problems.add(rel, f"a media file without a line in {meta}")

    def check_line(self, where, split, obj):
        """The fields and their types; False when the line is too broken to follow further."""
        ok = True

        def bad(field, rule):
            nonlocal ok
            ok = False
            self.problems.add(where, f"field '{field}' {rule}")

        for field in REQUIRED:
            if field not in obj:
                bad(field, "is missing (a required field)")
        for field in sorted(obj):
            if field not in REQUIRED and field not in OPTIONAL:
                bad(field, "is not a field of the metadata (required: " + ", ".join(REQUIRED)
                    + "; optional: " + ", ".join(OPTIONAL) + ")")
        if not ok:
            return False

        def typed(field, check, what):
            if not check(obj[field]):
                bad(field, f"must be {what}, got {type_name(obj[field])} {json.dumps(obj[field])}")

        for field in ("file_name", "key", "split", "prompt", "model", "model_sha256", "sha256", "media_type"):
            typed(field, lambda v: isinstance(v, str), "a string")
        for field in ("index", "seed"):
            typed(field, is_int, "an integer")
        typed("negative_prompt", lambda v: v is None or isinstance(v, str), "a string or null")
        typed("labels", lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
              "an object of string values")
        typed("params", lambda v: isinstance(v, dict), "an object")
        if "quality" in obj:
            typed("quality", lambda v: v is None or isinstance(v, dict), "an object or null")
        if not ok:
            return False
        if not KEY.match(obj["key"]):
            bad("key", f"must be 10 decimal digits, got '{obj['key']}'")
        elif obj["index"] < 0 or obj["key"] != f"{obj['index']:010d}":
            bad("key", f"'{obj['key']}' must be the index {obj['index']} as 10 zero-padded digits")
        if obj["split"] != split:
            bad("split", f"'{obj['split']}' must be the folder's split '{split}'")
        for field in ("model_sha256", "sha256"):
            if not HEX64.match(obj[field]):
                bad(field, f"must be 64 lowercase hex digits, got '{obj[field]}'")
        if obj["media_type"] not in EXTENSIONS:
            bad("media_type", f"must be one of {', '.join(EXTENSIONS)}, got '{obj['media_type']}'")
        elif obj["file_name"] != obj["key"] + EXTENSIONS[obj["media_type"]]:
            bad("file_name", f"'{obj['file_name']}' must be the key and the media type's extension, "
                             f"'{obj['key']}{EXTENSIONS[obj['media_type']]}'")
        params = obj["params"]
        for field, check, what in (("sampler", lambda v: isinstance(v, str), "a string"),
                                   ("steps", is_int, "an integer"),
                                   ("guidance", is_number, "a number"),
                                   ("width", lambda v: is_int(v) and v > 0, "a positive integer"),
                                   ("height", lambda v: is_int(v) and v > 0, "a positive integer")):
            if field not in params:
                bad("params", f"lacks '{field}' (required: {', '.join(REQUIRED_PARAMS)})")
            elif not check(params[field]):
                bad(f"params.{field}", f"must be {what}, got {type_name(params[field])} "
                                       f"{json.dumps(params[field])}")
        return ok

    def check_media(self, split, where, obj, files):
        rel = split + "/" + obj["file_name"]
        if rel not in files:
            self.problems.add(where, f"its file_name '{obj['file_name']}' is not a file of {split}/")
            return
        self.media_types.add(obj["media_type"])
        with open(self.path(rel), "rb") as f:
            data = f.read()
        self.hashes[rel] = sha256_bytes(data)
        if self.hashes[rel] != obj["sha256"]:
            self.problems.add(rel, f"sha256 {self.hashes[rel]} is not the sha256 {obj['sha256']} of its "
                                   f"metadata line (key {obj['key']})")
        if obj["media_type"] == "image/png":
            for rule in png_problems(data, obj["params"]["width"], obj["params"]["height"]):
                self.problems.add(rel, rule)
        elif data[4:8] != b"ftyp":
            self.problems.add(rel, "not an MP4: it does not start with an 'ftyp' box (bytes 4..8)")

    # ---- WebDataset shards -------------------------------------------------------------------------------

    def check_shards(self, files):
        numbers = {}
        for rel in files:
            m = SHARD_NAME.match(rel[len("webdataset/"):]) if rel.startswith("webdataset/") else None
            if m:
                numbers.setdefault(m.group(1), []).append(int(m.group(2)))
        for split in SPLITS:
            found = sorted(numbers.get(split, []))
            if split in self.lines and not found:
                self.problems.add(f"webdataset/{split}-000000.tar", f"missing: split {split} has samples "
                                                                    "but no shard")
            if found and split not in self.lines:
                self.problems.add(f"webdataset/{split}-{found[0]:06d}.tar", f"a shard of split {split}, which "
                                                                            f"has no {split}/metadata.jsonl")
            if found != list(range(len(found))):
                missing = sorted(set(range(max(found) + 1)) - set(found))
                self.problems.add(f"webdataset/{split}-{missing[0]:06d}.tar",
                                  f"missing: the shards of split {split} are numbered from 000000 without gaps")
            if not found:
                continue
            self.shards[split] = len(found)
            seen = {}
            last_key = None
            counts = []
            for n in found:
                rel = f"webdataset/{split}-{n:06d}.tar"
                count, last_key = self.check_shard(rel, split, seen, last_key)
                counts.append((rel, count))
            self.check_shard_sizes(counts)
            lines = self.lines.get(split, {})
            missing = sorted(set(lines) - set(seen))
            extra = sorted(set(seen) - set(lines))
            if missing:
                self.problems.add(f"webdataset/{split}-*.tar", f"lack {len(missing)} key(s) of "
                                  f"{split}/metadata.jsonl: {', '.join(missing[:5])}"
                                  + (" ..." if len(missing) > 5 else ""))
            if extra:
                self.problems.add(f"webdataset/{split}-*.tar", f"hold {len(extra)} key(s) that "
                                  f"{split}/metadata.jsonl lacks: {', '.join(extra[:5])}"
                                  + (" ..." if len(extra) > 5 else ""))

    def check_shard_sizes(self, counts):
        for i, (rel, count) in enumerate(counts):
            last = i == len(counts) - 1
            if count is None:
                continue
            if count == 0:
                self.problems.add(rel, "holds no sample; every shard holds at least one")
            elif self.shard_size is not None:
                if not last and count != self.shard_size:
                    self.problems.add(rel, f"holds {count} samples; every shard but a split's last holds "
                                           f"--shard-size {self.shard_size}")
                if last and count > self.shard_size:
                    self.problems.add(rel, f"holds {count} samples; a split's last shard holds 1.."
                                           f"{self.shard_size} (--shard-size)")

    def check_shard(self, rel, split, seen, last_key):
        """One shard's members; returns (samples in it or None when unreadable, the split's last key so far)."""
        count = 0
        size = os.path.getsize(self.path(rel))
        if size % RECORD:
            self.problems.add(rel, f"{size} bytes is not a whole number of {RECORD}-byte records")
        try:
            tar = tarfile.open(self.path(rel), mode="r:")
        except tarfile.TarError as e:
            self.problems.add(rel, f"not a readable uncompressed tar ({e})")
            return None, last_key
        with tar, open(self.path(rel), "rb") as raw:
            pending = None      # (key, extension, media bytes) waiting for its .json member
            try:
                members = tar.getmembers()
            except tarfile.TarError as e:
                self.problems.add(rel, f"not a readable tar ({e})")
                return None, last_key
            for position, m in enumerate(members, 1):
                where = f"{rel} member {position} '{m.name}'"
                if not self.check_header(where, m, raw):
                    pending = None
                    continue
                data = tar.extractfile(m).read()
                media = MEDIA_NAME.match(m.name)
                if media:
                    if pending is not None:
                        self.problems.add(pending[3], f"not followed by its '{pending[0]}.json' member: "
                                                      "members come in pairs <key>.<ext> then <key>.json")
                    pending = (media.group(1), "." + media.group(2), data, where)
                    continue
                if not m.name.endswith(".json") or not KEY.match(m.name[:-5]):
                    self.problems.add(where, "not a member name of a shard: <10-digit key>.png, .mp4 or .json")
                    pending = None
                    continue
                key = m.name[:-5]
                if pending is None or pending[0] != key:
                    self.problems.add(where, f"not preceded by its media member '{key}.<ext>': members come "
                                             "in pairs <key>.<ext> then <key>.json")
                    pending = None
                    continue
                _, extension, media_bytes, media_where = pending
                pending = None
                count += 1
                if key in seen:
                    self.problems.add(where, f"key {key} is already in {seen[key]}: a key is one sample")
                    continue
                seen[key] = rel
                if last_key is not None and key <= last_key:
                    self.problems.add(where, f"key {key} does not follow {last_key}: keys ascend through "
                                             f"the shards of split {split}")
                last_key = key
                self.check_sample(where, media_where, split, key, extension, media_bytes, data)
            if pending is not None:
                self.problems.add(pending[3], f"not followed by its '{pending[0]}.json' member: members come "
                                              "in pairs <key>.<ext> then <key>.json")
            raw.seek(tar.offset)
            end = raw.read()
            if len(end) < 1024 or end.strip(b"\0"):
                self.problems.add(rel, "does not end with two zero blocks and zero padding after its last member")
        return count, last_key

    def check_header(self, where, m, raw):
        """The member's header: a plain ustar regular file with the fixed attributes. False when not a file."""
        problems = []
        if m.type != tarfile.REGTYPE:
            self.problems.add(where, f"type {m.type!r} is not a regular file ('0'): members are regular "
                                     "files only")
            return False
        if m.pax_headers:
            problems.append(f"has pax extended headers {sorted(m.pax_headers)}: members are plain ustar")
        raw.seek(m.offset)
        header = raw.read(512)
        if header[257:265] != b"ustar\x0000":
            problems.append(f"magic and version {header[257:265]!r} are not POSIX ustar's b'ustar\\x0000'")
        if m.mode != 0o644:
            problems.append(f"mode {m.mode:04o} is not 0644")
        if m.uid != 0 or m.gid != 0:
            problems.append(f"uid {m.uid} gid {m.gid} are not 0 0")
        if m.uname != "" or m.gname != "":
            problems.append(f"uname '{m.uname}' gname '{m.gname}' are not empty")
        if m.mtime != MTIME:
            problems.append(f"mtime {m.mtime} is not {MTIME} (2000-01-01T00:00:00Z)")
        for rule in problems:
            self.problems.add(where, rule)
        return True

    def check_sample(self, where, media_where, split, key, extension, media_bytes, json_bytes):
        line = self.lines.get(split, {}).get(key)
        if line is None:
            self.problems.add(where, f"key {key} has no line in {split}/metadata.jsonl")
            return
        try:
            obj = strict_json(json_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.problems.add(where, f"not a UTF-8 JSON object ({e})")
            return
        if not isinstance(obj, dict):
            self.problems.add(where, f"not a JSON object (a JSON {type_name(obj)})")
        elif canonical(obj) != canonical(line):
            differ = sorted(k for k in set(obj) | set(line)
                            if k not in obj or k not in line or canonical(obj[k]) != canonical(line[k]))
            self.problems.add(where, f"not the object of the {split}/metadata.jsonl line of key {key} "
                                     f"(field(s) {', '.join(differ)} differ)")
        if line.get("file_name") != key + extension:
            self.problems.add(media_where, f"the metadata line of key {key} names the file "
                                           f"{json.dumps(line.get('file_name'))}, not '{key}{extension}'")
        digest = sha256_bytes(media_bytes)
        if digest != line.get("sha256"):
            self.problems.add(media_where, f"sha256 {digest} is not the sha256 {json.dumps(line.get('sha256'))} "
                                           "of its metadata line")

    # ---- SHA256SUMS --------------------------------------------------------------------------------------

    def check_sums(self, files):
        rel = "SHA256SUMS"
        if rel not in files:
            self.problems.add(rel, "missing")
            return
        with open(self.path(rel), "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            self.problems.add(rel, "not ASCII (lines are <64 lowercase hex>  <relative path>)")
            return
        if text and not text.endswith("\n"):
            self.problems.add(rel, "the last line is not terminated by '\\n'")
        listed = []
        lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []
        for number, line in enumerate(lines, 1):  # an empty file lists nothing (a night with no samples)
            where = f"{rel} line {number}"
            m = SUMS_LINE.match(line)
            if not m:
                self.problems.add(where, "not '<64 lowercase hex>  <relative path>'")
                continue
            digest, path = m.groups()
            if path.startswith("/") or "\\" in path or any(s in ("", ".", "..") for s in path.split("/")):
                self.problems.add(where, f"'{path}' is not a relative path with '/' inside the export")
                continue
            if path in ("SHA256SUMS", "README.md"):
                self.problems.add(where, f"lists {path}, which SHA256SUMS leaves out")
            if listed and path.encode() <= listed[-1].encode():
                self.problems.add(where, f"'{path}' is not after '{listed[-1]}': lines are sorted by path "
                                         "(byte order), each path once")
            listed.append(path)
            if path not in files:
                self.problems.add(where, f"lists '{path}', which is not a file of the export")
            elif self.file_hash(path) != digest:
                self.problems.add(path, f"sha256 {self.file_hash(path)} is not the {digest} of SHA256SUMS "
                                        f"line {number}")
        self.sums = len(listed)
        for path in sorted(set(files) - set(listed) - {"SHA256SUMS", "README.md"}):
            self.problems.add(path, "not listed in SHA256SUMS (it lists every file but SHA256SUMS and README.md)")

    # ---- all --------------------------------------------------------------------------------------------

    def check(self):
        if not os.path.isdir(self.root):
            self.problems.add(self.root, "not a folder")
            return
        files = self.files()
        self.check_layout(files)
        for split in SPLITS:
            if os.path.isdir(os.path.join(self.root, split)):
                self.check_split(split, files)
        if len(self.media_types) > 1:
            self.problems.add(".", f"mixes media types {', '.join(sorted(self.media_types))}: a night is all "
                                   "images or all videos")
        self.check_shards(files)
        self.check_sums(files)
        if self.expect_count is not None and self.samples() != self.expect_count:
            self.problems.add(".", f"holds {self.samples()} samples, not the --expect-count {self.expect_count}")

    def samples(self):
        return sum(len(keys) for keys in self.order.values())

    def summary(self):
        return {
            "samples": self.samples(),
            "splits": {split: len(self.order[split]) for split in SPLITS if split in self.order},
            "shards": {split: self.shards[split] for split in SPLITS if split in self.shards},
            "keys": sorted(k for keys in self.order.values() for k in keys),
            "fields": sorted(self.fields),
            "sha256sums": self.sums,
        }


def png_problems(data, width, height):
    """The rules a PNG breaks: signature, chunk structure and CRCs, IHDR size, and the inflated IDAT length."""
    if data[:8] != PNG_SIGNATURE:
        return ["not a PNG: its first 8 bytes are not the PNG signature"]
    chunks = []
    pos = 8
    while pos < len(data):
        if pos + 12 > len(data):
            return [f"PNG chunk at byte {pos} is truncated"]
        length, = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return [f"PNG chunk {kind!r} at byte {pos} is truncated (length {length})"]
        body = data[pos + 8:end - 4]
        crc, = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(kind + body) != crc:
            return [f"PNG chunk {kind.decode('latin-1')!r} at byte {pos} has a bad CRC"]
        chunks.append((kind, body))
        pos = end
        if kind == b"IEND":
            break
    problems = []
    if pos != len(data):
        problems.append(f"PNG has {len(data) - pos} bytes after its IEND chunk")
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        return problems + ["PNG's first chunk is not an IHDR of length 13"]
    if chunks[-1][0] != b"IEND":
        problems.append("PNG's last chunk is not IEND")
    kinds = [k for k, _ in chunks]
    if b"IDAT" not in kinds:
        return problems + ["PNG has no IDAT chunk"]
    first = kinds.index(b"IDAT")
    run = len(kinds) - first - kinds[::-1].index(b"IDAT")
    if kinds[first:first + run].count(b"IDAT") != run:
        problems.append("PNG's IDAT chunks are not consecutive")
    w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if (w, h) != (width, height):
        problems.append(f"PNG is {w}x{h}, not the params' width x height {width}x{height}")
    if colour not in PNG_CHANNELS or depth != 8 or interlace != 0:
        return problems + [f"PNG colour type {colour}, bit depth {depth}, interlace {interlace} is unsupported "
                           "by this reader (colour types 0, 2, 6 at bit depth 8, not interlaced)"]
    try:
        pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as e:
        return problems + [f"PNG's IDAT data does not inflate ({e})"]
    stride = 1 + w * PNG_CHANNELS[colour]
    if len(pixels) != h * stride:
        return problems + [f"PNG's IDAT data inflates to {len(pixels)} bytes, not height*(1+width*channels) = "
                           f"{h * stride}"]
    bad_filters = sorted({pixels[row * stride] for row in range(h)} - {0, 1, 2, 3, 4})
    if bad_filters:
        problems.append(f"PNG rows use filter types {bad_filters}, outside 0..4")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check one exported dataset night and print its summary.")
    parser.add_argument("dir", help="the night's export folder")
    parser.add_argument("--shard-size", type=int, help="samples per shard: every shard but a split's last")
    parser.add_argument("--expect-count", type=int, help="the night's total number of samples")
    args = parser.parse_args(argv)
    if args.shard_size is not None and args.shard_size < 1:
        parser.error("--shard-size must be at least 1")
    night = Night(args.dir, args.shard_size, args.expect_count)
    night.check()
    print(json.dumps(night.summary(), sort_keys=True))
    for line in night.problems.lines:
        print(line, file=sys.stderr)
    return 1 if night.problems.lines else 0


if __name__ == "__main__":
    sys.exit(main())
