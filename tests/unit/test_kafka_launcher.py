"""The broker launcher's cluster ids: Kafka's storage tool refuses one that starts with '-' (read as
an option), which a random draw used to give about once in 64 starts."""

from __future__ import annotations

import base64
import re

from tools.kafka import _cluster_id


def test_ten_thousand_cluster_ids_are_all_ones_kafka_accepts():
    ids = [_cluster_id() for _ in range(10_000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids)
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)  # 16 bytes, as Kafka's random-uuid
    assert len(set(ids)) == len(ids)
