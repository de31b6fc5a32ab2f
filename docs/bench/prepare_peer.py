#!/usr/bin/env python3
"""Python peer of `cxrkit prepare`, for the performance table only.

This is cxrkit's own code, written for docs/performance.md: the pipeline a
Python user would write to do what the README's prepare figure measures, so
that the Go figure can be quoted as a ratio to it, measured in the same run.
It reads the same files (VinDr-CXR train.csv + train_meta.csv, both
ChestX-Det JSON files, the NIH box list), maps native labels through the same
configs/labelmap.yaml, normalises boxes to [0, 1] in the same y0,x0,y1,x1
order, fuses each image's boxes of one label across readers with
weighted_boxes_fusion from the `ensemble_boxes` package (iou_thr 0.5, as
`--merge wbf --merge-iou 0.5`), assigns a split by hashing the image id and
writes corpus.jsonl and report.json.

It does less than cxrkit: no per-row reject accounting, no cross-label
conflict pass, no normal-image balancing and no patient-level split, so the
ratio is conservative (it favours the peer).

`ensemble_boxes` is not vendored: pip install ensemble-boxes, or put its
source's ensemble_boxes folder on PYTHONPATH (without numba, only its WBF
module can be imported), e.g.

    PYTHONPATH=/path/to/Weighted-Boxes-Fusion/ensemble_boxes python3 docs/bench/prepare_peer.py \
        --realdata ../shared/realdata --labelmap configs/labelmap.yaml --out /tmp/peer
"""
import argparse
import collections
import csv
import hashlib
import json
import os
import re

import numpy as np
import yaml
try:
    from ensemble_boxes import weighted_boxes_fusion
except ImportError:
    # The package's __init__ also imports its numba-based NMS; the WBF
    # module alone needs only numpy (PYTHONPATH=.../ensemble_boxes).
    from ensemble_boxes_wbf import weighted_boxes_fusion

DISCLAIMER = ("RESEARCH / EDUCATIONAL QA ONLY: not a medical device, not diagnosis, "
              "not for clinical use.")


def norm_key(s):
    return re.sub(r"\s+", " ", s.strip().lower())


def load_labelmap(path):
    with open(path) as f:
        lm = yaml.safe_load(f)
    return {src: {norm_key(k): v for k, v in m.items()} for src, m in lm["sources"].items()}


def clip_box(x0, y0, x1, y1, w, h):
    b = np.clip(np.array([x0 / w, y0 / h, x1 / w, y1 / h], dtype=np.float64), 0.0, 1.0)
    if b[2] <= b[0] or b[3] <= b[1]:
        return None
    return b


class Images:
    """Per image: canonical label -> reader -> list of boxes (x0,y0,x1,y1)."""

    def __init__(self):
        self.boxes = collections.defaultdict(
            lambda: collections.defaultdict(lambda: collections.defaultdict(list)))
        self.present = collections.defaultdict(set)  # labels without boxes
        self.normal = set()

    def add(self, key, label, reader, box):
        if label == "no_finding":
            self.normal.add(key)
        elif box is None:
            self.present[key].add(label)
        else:
            self.boxes[key][label][reader].append(box)


def read_vindr(path, meta_path, lm, imgs, counts):
    sizes = {}
    with open(meta_path, newline="") as f:
        for row in csv.DictReader(f):
            sizes[row["image_id"]] = (float(row["dim1"]), float(row["dim0"]))
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            counts["vindr_rows"] += 1
            label = lm["vindr"].get(norm_key(row["class_name"]))
            if label is None:
                counts["vindr_dropped"] += 1
                continue
            key = ("vindr", row["image_id"])
            box = None
            if label != "no_finding":
                w, h = sizes[row["image_id"]]
                box = clip_box(float(row["x_min"]), float(row["y_min"]),
                               float(row["x_max"]), float(row["y_max"]), w, h)
            imgs.add(key, label, row["rad_id"], box)


def read_chestxdet(path, lm, imgs, counts):
    with open(path) as f:
        records = json.load(f)
    for rec in records:
        key = ("chestxdet", os.path.splitext(rec["file_name"])[0])
        counts["chestxdet_records"] += 1
        if not rec["syms"]:
            imgs.normal.add(key)
            continue
        for sym, b in zip(rec["syms"], rec["boxes"]):
            label = lm["chestxdet"].get(norm_key(sym))
            if label is None:
                counts["chestxdet_dropped"] += 1
                continue
            imgs.add(key, label, "chestxdet", clip_box(b[0], b[1], b[2], b[3], 1024.0, 1024.0))


def read_nih(path, lm, imgs, counts):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for row in rows:
            if len(row) < 6:
                continue
            counts["nih_rows"] += 1
            label = lm["nih"].get(norm_key(row[1]))
            if label is None:
                counts["nih_dropped"] += 1
                continue
            x, y, w, h = (float(v) for v in row[2:6])
            key = ("nih", os.path.splitext(row[0])[0])
            imgs.add(key, label, "nih", clip_box(x, y, x + w, y + h, 1024.0, 1024.0))


def fuse(by_reader):
    boxes = [np.array(bs) for bs in by_reader.values()]
    scores = [np.ones(len(bs)) for bs in boxes]
    labels = [np.zeros(len(bs)) for bs in boxes]
    fused, _, _ = weighted_boxes_fusion(boxes, scores, labels, iou_thr=0.5, skip_box_thr=0.0)
    return fused


def split_of(image_id):
    h = int.from_bytes(hashlib.sha256(image_id.encode()).digest()[:8], "big") / 2.0**64
    return "validation" if h < 0.1 else "train"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--realdata", required=True)
    ap.add_argument("--labelmap", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lm = load_labelmap(a.labelmap)
    r = a.realdata
    imgs, counts = Images(), collections.Counter()
    read_vindr(f"{r}/vindr-cxr/train.csv", f"{r}/vindr-cxr/train_meta.csv", lm, imgs, counts)
    for name in ("ChestX_Det_train.json", "ChestX_Det_test.json"):
        read_chestxdet(f"{r}/chestx-det/{name}", lm, imgs, counts)
    read_nih(f"{r}/nih-chestxray14/BBox_List_2017.csv", lm, imgs, counts)

    os.makedirs(a.out, exist_ok=True)
    keys = sorted(set(imgs.boxes) | set(imgs.present) | imgs.normal)
    labels = collections.Counter()
    with open(os.path.join(a.out, "corpus.jsonl"), "w") as out:
        for key in keys:
            findings = []
            for label, by_reader in sorted(imgs.boxes.get(key, {}).items()):
                for x0, y0, x1, y1 in fuse(by_reader):
                    findings.append({"label": label, "box_2d": [round(float(v), 6) for v in (y0, x0, y1, x1)]})
            for label in sorted(imgs.present.get(key, ())):
                findings.append({"label": label, "box_2d": None})
            if not findings:
                findings = [{"label": "no_finding", "box_2d": None}]
            for f in findings:
                labels[f["label"]] += 1
            out.write(json.dumps({"image_id": key[1], "source": key[0], "split": split_of(key[1]),
                                  "findings": findings}) + "\n")
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump({"tool": "prepare_peer.py", "images": len(keys), "counts": counts, "labels": labels,
                   "disclaimer": DISCLAIMER}, f, indent=2)
    print(f"prepare_peer: {len(keys)} images written")


if __name__ == "__main__":
    main()
