"""The retriever's passages for a topic, at least one per chosen region.

Usage (needs a retriever over the built index, so not a doctest):

    refs = relevant_passages(assistant.retriever, "avgifter", ["Kronoberg"], k=3)
    refs[0].title, refs[0].section   # list[PassageRef], at least one per region
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from assistant.training.topics import TOPICS
from assistant.training.values import PassageRef

if TYPE_CHECKING:
    from assistant.retrieve import HybridRetriever


def relevant_passages(retriever: HybridRetriever, topic_key: str, regions: Sequence[str] = (),
                      k: int = 5) -> list[PassageRef]:
    """The retriever's best passages for the topic's terms, from the chosen regions' documents.

    One search per region (so that each region is represented), merged by fused score.
    """
    from assistant.query import understand

    topic = TOPICS[topic_key]
    known = list(retriever.regions)
    wanted = set(regions)
    scored: dict[str, tuple[float, Any]] = {}
    first_of_region: list[str] = []
    for region in list(regions) or [None]:
        query = understand(topic.terms, region=region if region in known else None,
                           known_regions=known)
        found = retriever.retrieve(query, k=max(10, 2 * k))
        kept = [p for p in found if not wanted or wanted & set(p.chunk.regions)]
        own = [p for p in kept if region is None or region in p.chunk.regions]
        if own:
            first_of_region.append(own[0].chunk.id)
        for p in kept:
            if p.chunk.id not in scored or scored[p.chunk.id][0] < p.fused:
                scored[p.chunk.id] = (p.fused, p.chunk)
    best = list(dict.fromkeys(first_of_region))
    best += [cid for cid, _ in sorted(scored.items(), key=lambda kv: -kv[1][0])
             if cid not in best]
    out = []
    for cid in best[:k]:
        chunk = scored[cid][1]
        out.append(PassageRef(chunk_id=chunk.id, doc=chunk.doc, title=chunk.title or chunk.doc,
                              section=chunk.section, location=chunk.location, text=chunk.text,
                              regions=chunk.regions))
    return out
