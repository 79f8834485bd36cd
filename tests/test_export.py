"""The conversation export: Markdown with the answers' sources and rule verdicts."""

from __future__ import annotations

from datetime import date, datetime

from assistant.export import ExportTurn, conversation_markdown
from core.values import Answer, Citation, RuleCheck


def _citation(n: int, quote: str, **changes) -> Citation:
    values = {"n": n, "doc": f"doc{n}.txt", "title": f"Riktlinje {n}", "section": "Bilaga 1",
              "location": f"rad {n}–{n + 2}", "quote": quote, "text": f"Före. {quote} Efter.",
              "date": "2013-02-01", "publisher": "Region Norrbotten"}
    return Citation(**{**values, **changes})


def test_conversation_lists_questions_answers_sources_and_verdicts():
    rule = RuleCheck(status="corrected", verdict="kommunen", rule_id="nb.iso.120606",
                     reason="Svaret angav regionen; regeln säger kommunen.",
                     trace=("nb.iso.120606 avgör: kommunen", "undantaget nb.barn gäller inte"),
                     citation={"doc": "doc1.txt", "section": "Bilaga 1",
                               "quote": "Kommunen ansvarar", "valid": "2013-02-01–"})
    first = Answer(question="Vem ansvarar för rollatorn?", text="Kommunen ansvarar [1] [2].",
                   citations=[_citation(2, "andra\ncitatet"), _citation(1, "Kommunen ansvarar")],
                   rule_check=rule, warnings=["Källan är från 2013."], region="Norrbotten")
    refused = Answer(question="Vad kostar en månresa?", text="Det framgår inte av dokumenten.",
                     refused=True)
    md = conversation_markdown(
        [ExportTurn(first.question, first), ExportTurn(refused.question, refused),
         ExportTurn("Tredje?", error="Frågan kunde inte besvaras (Timeout).")],
        region="Norrbotten", as_of=date(2026, 1, 31), exported_at=datetime(2026, 11, 25, 15, 4))
    lines = md.splitlines()

    assert lines[0] == "# Konversation med Hjälpmedelsassistenten"
    assert lines[2] == "Exporterad: 2026-11-25 15:04 · Region: Norrbotten · Gäller per: 2026-01-31"
    assert [line for line in lines if line.startswith("## ")] == [
        "## Fråga 1", "## Fråga 2", "## Fråga 3"]
    assert "> Vem ansvarar för rollatorn?" in lines
    assert "Kommunen ansvarar [1] [2]." in lines
    # Sources in [n] order, each with title, file, section, location, publisher, date and quote.
    one = lines.index("1. **Riktlinje 1** (doc1.txt) – Bilaga 1, rad 1–3. "
                      "Region Norrbotten, 2013-02-01")
    two = lines.index("2. **Riktlinje 2** (doc2.txt) – Bilaga 1, rad 2–4. "
                      "Region Norrbotten, 2013-02-01")
    assert one < two
    assert lines[one + 1] == "   > ”Kommunen ansvarar”"
    assert lines[two + 1] == "   > ”andra citatet”"  # line breaks inside a quote flattened
    assert "**Regelkontroll:** Rättat enligt regeln (regel nb.iso.120606)" in lines
    assert "- Förklaring: Svaret angav regionen; regeln säger kommunen." in lines
    assert "- Spår: nb.iso.120606 avgör: kommunen → undantaget nb.barn gäller inte" in lines
    assert ("- Regelns källa: doc1.txt – Bilaga 1: ”Kommunen ansvarar” (gäller 2013-02-01–)"
            in lines)
    assert "- Källan är från 2013." in lines
    # The refused answer: its text, no verdict and no sources.
    second = md.split("## Fråga 2")[1].split("## Fråga 3")[0]
    assert "Det framgår inte av dokumenten." in second
    assert "Regelkontroll" not in second and "Källor" not in second
    assert "**Fel:** Frågan kunde inte besvaras (Timeout)." in lines
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_missing_facts_are_named_and_empty_conversation_is_said():
    answer = Answer(question="Får jag ordinera HPV-vaccin?", text="Ja [1].",
                    citations=[_citation(1, "Ja")],
                    rule_check=RuleCheck(status="not_checkable",
                                         missing_facts=("ange patientens ålder",)))
    md = conversation_markdown([ExportTurn(answer.question, answer)])
    assert "**Regelkontroll:** Ingen regel för detta – läs källan" in md
    assert "- Uppgifter som saknas: ange patientens ålder" in md
    assert "Region: Alla" in md
    assert "(Inga frågor ännu.)" in conversation_markdown([])


def test_the_export_carries_no_html_or_links_from_the_text():
    answer = Answer(question="<b>fet</b>?", text="Se <img src=x onerror=alert(1)> och "
                    "[klicka](javascript:alert(1)) [1].",
                    citations=[Citation(n=1, doc="x.txt", title="T", section="S", location="rad 1",
                                        quote="<script>x</script>", text="<script>x</script>")])
    md = conversation_markdown([ExportTurn("Fråga <i>?", answer, None)])
    assert "<img" not in md and "<script>" not in md and "<i>" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "](javascript:" not in md and "[klicka]\\(javascript:alert(1))" in md
    assert "[1]." in md  # the source markers are kept
