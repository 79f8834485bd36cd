"""Copies of one passage in several documents are ranked once and one copy is cited."""

from __future__ import annotations

from assistant.copies import Copies, date_key, text_key
from assistant.query import Query
from assistant.retrieve import HybridRetriever
from core.values import Chunk

NATIONAL = "Sjuksköterskor får ordinera vaccin enligt HSLF-FS 2025:12 från den 1 mars."


def chunk(id_: str, doc: str, text: str, date: str | None = None,
          regions: tuple[str, ...] = (), line: int = 1) -> Chunk:
    return Chunk(id=id_, doc=doc, text=text, date=date, regions=regions, line_start=line)


def query(text: str, regions: tuple[str, ...] = ()) -> Query:
    return Query(question=text, text=text, region=regions[0] if regions else None,
                 regions=regions, region_has_documents=bool(regions), english=False,
                 iso_codes=(), is_followup=False)


def test_copies_differ_only_in_case_white_space_or_years():
    assert text_key(NATIONAL) == text_key(NATIONAL.upper().replace(" ", "  \n"))
    assert text_key(NATIONAL) == text_key(NATIONAL.replace("2025", "2019"))
    # Any other word, a number that is not a year included, keeps passages apart.
    assert text_key("Egenavgift 300 kr.") != text_key("Egenavgift 500 kr.")
    assert text_key("Region Kronoberg ansvarar.") != text_key("Region Blekinge ansvarar.")


def test_date_key_reads_full_and_approximate_dates():
    assert date_key("2025-11-18") == "2025-11-18"
    assert date_key("2024 (approx)") == "2024"
    assert date_key(None) == date_key("okänt") == ""


def test_the_copy_cited_is_the_asked_regions_then_the_newest_then_the_first():
    old = chunk("1", "a-2019.txt", NATIONAL.replace("2025", "2019"), "2019-05-01", ("Kalmar",))
    new = chunk("2", "b-2025.txt", NATIONAL, "2025-11-18", ("Kronoberg",))
    undated = chunk("3", "c.txt", NATIONAL, None, ("Gotland",))
    same_day = chunk("4", "0-first.txt", NATIONAL, "2025-11-18", ("Skåne",))
    copies = Copies([old, new, undated])
    key = copies.key(new)
    assert copies.choose(key, ()) is new
    assert copies.choose(key, ("Kalmar",)) is old
    assert copies.choose(key, ("Gotland", "Kalmar")) in (old, undated)
    assert len(copies.docs(key)) == 3 and copies.in_regions(key, ("Gotland",))
    assert not copies.in_regions(key, ("Halland",))
    # A month beats a bare year of the same year; equal dates fall back to the document name.
    assert Copies([chunk("5", "x.txt", NATIONAL, "2025"), new]).choose(key, ()) is new
    assert Copies([new, same_day]).choose(key, ()) is same_day


def test_unique_keeps_each_text_once_at_its_best_score():
    a = chunk("1", "a.txt", NATIONAL)
    b = chunk("2", "b.txt", NATIONAL.replace("2025", "2020"))
    c = chunk("3", "a.txt", "Rollator förskrivs av vårdcentralen.")
    copies = Copies([a, b, c])
    assert copies.unique([(b, 0.9), (c, 0.8), (a, 0.7)]) == [(copies.key(a), 0.9),
                                                            (copies.key(c), 0.8)]


def test_retrieval_returns_one_passage_per_text_citing_the_preferred_copy(make_settings):
    """Ten regional copies of a national rule no longer fill the top k: the rule is ranked
    once, cited from the newest document, and the next passage gets its place."""
    copies = [chunk(f"v{i}", f"variant-{i:02d}.txt", NATIONAL.replace("2025", str(2015 + i)),
                    f"{2015 + i}-01-01", (f"Påhittad{i}",)) for i in range(9)]
    original = chunk("orig", "kronoberg.txt", NATIONAL, "2025-11-18", ("Kronoberg",))
    other = chunk("other", "kronoberg.txt", "Vaccin mot TBE ordineras av sjuksköterska.",
                  "2025-11-18", ("Kronoberg",), line=9)
    filler = [chunk(f"f{i}", "norrbotten.txt", f"Rollator nummer {i} förskrivs i hemmet.",
                    "2013-02-01", ("Norrbotten",), line=20 + i) for i in range(10)]
    retriever = HybridRetriever(None, [*copies, original, other, *filler], make_settings())
    passages = retriever.retrieve(query("ordinera vaccin sjuksköterska"), k=3,
                                  retrieval_mode="bm25")
    by_id = {p.chunk.id: p for p in passages}
    assert {"orig", "other"} <= set(by_id) and not {c.id for c in copies} & set(by_id)
    assert by_id["orig"].copies == 10 and by_id["other"].copies == 1
    asked = retriever.retrieve(query("ordinera vaccin sjuksköterska", ("Påhittad3",)), k=3,
                               retrieval_mode="bm25")
    assert "v3" in {p.chunk.id for p in asked} and "orig" not in {p.chunk.id for p in asked}


PARAGRAPHS = ["Förbrukningsartiklar ingår i läkemedelsförmånen enligt lag.",
              "Tre typer av förbrukningsartiklar omfattas av förmånen.",
              "Kommunen ansvarar för hjälpmedel i särskilt boende.",
              "Regionen ansvarar för hjälpmedel i ordinärt boende."]


def test_near_copies_share_most_sentences_across_documents_only():
    original = chunk("o", "kronoberg.txt", " ".join(PARAGRAPHS[:2]), "2025-11-18")
    recut = chunk("v", "kopia.txt", "\n".join(PARAGRAPHS[:3]), "2019-11-18")
    neighbour = chunk("n", "kronoberg.txt", " ".join(PARAGRAPHS[1:3]), "2025-11-18")
    unrelated = chunk("u", "annan.txt", " ".join(PARAGRAPHS[2:]), "2024-01-01")
    copies = Copies([original, recut, neighbour, unrelated])
    key = copies.key
    assert copies.near(key(original), key(recut))  # 2 of the shorter one's 2 sentences
    # Overlapping neighbours in one document are not copies of each other.
    assert not copies.near(key(original), key(neighbour))
    assert not copies.near(key(original), key(unrelated))
    assert copies.near_copies(key(original)) == {key(recut)}


def test_a_recut_copy_ranked_first_cites_the_newer_original(make_settings):
    """A copy of a passage in an older document, cut with an extra sentence, outranks the
    original: the passage is listed once, and the original (newer) is the copy cited."""
    original = chunk("orig", "kronoberg.txt", " ".join(PARAGRAPHS[:2]), "2025-11-18",
                     ("Kronoberg",))
    recuts = [chunk(f"v{i}", f"kopia-{i}.txt",
                    f"Förbrukningsartiklar och förbrukningsartiklar {i}. " + " ".join(
                        PARAGRAPHS[:2]), f"{2015 + i}-01-01", (f"Påhittad{i}",))
              for i in range(5)]
    other = chunk("other", "norrbotten.txt", " ".join(PARAGRAPHS[2:]), "2013-02-01",
                  ("Norrbotten",))
    retriever = HybridRetriever(None, [original, *recuts, other], make_settings())
    passages = retriever.retrieve(query("förbrukningsartiklar förmånen"), k=3,
                                  retrieval_mode="bm25")
    # Six texts match, all one passage; the Norrbotten one shares no query term.
    assert [p.chunk.id for p in passages] == ["orig"] and passages[0].copies == 6


def test_a_preferred_copy_that_lacks_a_sentence_found_is_ranked_on_its_own(make_settings):
    """The asked region's passage, cut without the sentence that matched in another
    region's copy, is not swapped in for that copy (the answer could vanish); it is ranked
    on its own, and the other region's copy gives way to it."""
    regional = chunk("own", "enkat.txt", " ".join(PARAGRAPHS[:2]), "2024-01-01", ("Blekinge",))
    elsewhere = chunk("copy", "enkat-kopia.txt", " ".join(PARAGRAPHS[:2]) +
                      " Kommunen ansvarar för förbrukningsartiklar i hemmet.", "2020-01-01",
                      ("Påhittad",))
    filler = [chunk(f"f{i}", "annan.txt", f"Rollator nummer {i} förskrivs i hemmet.",
                    "2013-02-01", ("Norrbotten",), line=i) for i in range(8)]
    retriever = HybridRetriever(None, [regional, elsewhere, *filler], make_settings())
    plain = retriever.retrieve(query("förbrukningsartiklar kommunen hemmet"), k=3,
                               retrieval_mode="bm25")
    assert plain[0].chunk.id == "own"  # the newer copy, found itself
    assert "copy" not in {p.chunk.id for p in plain}
    asked = retriever.retrieve(query("förbrukningsartiklar kommunen hemmet", ("Blekinge",)),
                               k=3, retrieval_mode="bm25")
    assert asked[0].chunk.id == "own" and asked[0].copies == 2


def test_a_preferred_copy_holding_every_sentence_found_is_cited_in_its_place(make_settings):
    older = chunk("old", "kopia.txt", " ".join(PARAGRAPHS[:2]), "2019-01-01", ("Påhittad",))
    newer = chunk("new", "original.txt", " ".join(PARAGRAPHS[:3]), "2025-11-18",
                  ("Kronoberg",))
    filler = [chunk(f"f{i}", "annan.txt", f"Rollator nummer {i} förskrivs i hemmet.",
                    "2013-02-01", ("Norrbotten",), line=i) for i in range(8)]
    retriever = HybridRetriever(None, [older, newer, *filler], make_settings())
    # The older copy scores higher (it is shorter); the newer one holds all of it.
    assert retriever.sparse("läkemedelsförmånen förmånen", 1)[0][0].id == "old"
    found = retriever.retrieve(query("läkemedelsförmånen förmånen"), k=2, retrieval_mode="bm25")
    assert [p.chunk.id for p in found] == ["new"] and found[0].copies == 2
