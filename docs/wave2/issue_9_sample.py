"""Issue 9 fit sample: a mixed, labelled-by-source file of events none of the shipped models
were trained on (InjecAgent, ShareGPT, NotInject). Writes events.jsonl and labels.jsonl.

python issue-9-sample.py /work/shared/data OUT_DIR
"""

import gzip
import json
import random
import re
import sys
from pathlib import Path

root, out = Path(sys.argv[1]), Path(sys.argv[2])
rng = random.Random(9)
rows = []  # (source, label, prompt, tool_output)

agent = root / "injecagent/data"
clean_seen = set()
for name in ("dh_base", "dh_enhanced", "ds_base", "ds_enhanced"):
    cases = json.loads((agent / f"test_cases_{name}.json").read_text())
    for case in rng.sample(cases, 60):
        rows.append(
            (
                "injecagent." + name,
                "abusive",
                case["User Instruction"],
                case["Tool Response"].strip('"'),
            )
        )
        key = (case["User Tool"], case["Tool Response Template"])
        if key not in clean_seen and len(clean_seen) < 120:
            clean_seen.add(key)
            clean = case["Tool Response Template"].replace(
                "<Attacker Instruction>", "Works as described, arrived on time."
            )
            rows.append(("injecagent.clean_twin", "benign", case["User Instruction"], clean))

attack = re.compile(r"\bDAN\b|jailbreak|ignore (all )?(the )?previous instructions", re.I)
with gzip.open(root / "benign_sharegpt/sharegpt_v3_human_turns.jsonl.gz", "rt") as handle:
    turns = [json.loads(line) for line in handle]
attacks = [t["text"] for t in turns if attack.search(t["text"]) and len(t["text"]) > 200]
benign = [
    t["text"]
    for t in turns
    if t["turn"] == 0 and not attack.search(t["text"]) and 10 < len(t["text"]) < 4000
]
picked = rng.sample(attacks, min(80, len(attacks)))
rows += [("sharegpt.jailbreak", "abusive", t[:8000], None) for t in picked]
rows += [("sharegpt.first_turn", "benign", t, None) for t in rng.sample(benign, 400)]

for name in ("one", "two", "three"):
    path = root / f"injecguard_notinject/datasets/NotInject_{name}.json"
    for item in json.loads(path.read_text()):
        rows.append(("notinject", "benign", item["prompt"], None))

rng.shuffle(rows)
out.mkdir(parents=True, exist_ok=True)
with (out / "events.jsonl").open("w") as events, (out / "labels.jsonl").open("w") as labels:
    for i, (source, label, prompt, tool) in enumerate(rows):
        event = {
            "event_id": f"s-{i}",
            "timestamp": "2026-12-01T12:00:00Z",
            "app_id": "sample",
            "user_id": f"u-{i % 50}",
            "prompt": prompt,
            "metadata": {"source": source},
        }
        if tool is not None:
            event["tool_calls"] = [{"name": "tool", "output": tool}]
        events.write(json.dumps(event) + "\n")
        labels.write(
            json.dumps(
                {"event_id": f"s-{i}", "label": label, "labeler": "by-source", "note": source}
            )
            + "\n"
        )
counts = {}
for source, label, _, _ in rows:
    counts[(source, label)] = counts.get((source, label), 0) + 1
print(json.dumps({f"{s}/{lab}": n for (s, lab), n in sorted(counts.items())}, indent=1))
