"""Benchmark: the two routes to one PDF per released document, on bench_export's documents.

1. reportlab (exports/pdf.py): the bundle writer's paragraphs set directly, in 1 and 2 processes;
2. LibreOffice as a converter: one docx per document (the bundle writer, one document a part),
   converted by one long-lived ``soffice --convert-to pdf`` process per batch, 1 and 2 in parallel.

LibreOffice is measured on a sample (``--lo-sample``) and extrapolated: the full run takes minutes.

    python bench/bench_pdf.py [--documents 2000] [--lo-sample 200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_export import generate  # noqa: E402
from exports import bundle, pdf  # noqa: E402
from exports.leakguard import scan_package  # noqa: E402
from exports.render import Redactor  # noqa: E402
from woo_collector.documents import RequestInfo  # noqa: E402

ORG = "Gemeente Bench"


def lo_batch(files: list[Path], outdir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="woo-lo-") as profile:
        subprocess.run([pdf.soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
                       check=True, capture_output=True, timeout=3600)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--lo-sample", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("/tmp/woo-bench/pdf"))
    args = ap.parse_args()
    docs = generate(args.documents, 7)
    info = RequestInfo(id="BENCH-1", subject="windpark", query="windpark", period_from=date(2025, 1, 1),
                       period_to=date(2025, 12, 31), organisation=ORG)
    redactor = Redactor(docs)
    writer = bundle.BundleWriter(info.id, ORG, redactor, docs)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    t0 = time.perf_counter()
    jobs = pdf.jobs_for(info.id, ORG, writer, docs, args.out)
    t1 = time.perf_counter()
    print(f"released documents: {len(jobs)}; their paragraphs (bundle writer): {t1 - t0:.1f} s")
    for procs in (1, 2):
        t = time.perf_counter()
        pdf.write_documents(jobs, processes=procs)
        dt = time.perf_counter() - t
        print(f"reportlab, {procs} process(es): {dt:.1f} s, {1000 * dt / len(jobs):.1f} ms/document")
    pages = sum(int(subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True).stdout.split("Pages:")[1].split()[0])
                for p in sorted(args.out.glob("*.pdf"))[:200])
    size = sum(p.stat().st_size for p in args.out.glob("*.pdf"))
    print(f"  {size / 1e6:.1f} MB, {pages / min(200, len(jobs)):.2f} pages/document (first 200)")
    t = time.perf_counter()
    hits = scan_package(args.out, redactor.needles)
    print(f"leak guard over the PDFs (pypdf): {time.perf_counter() - t:.1f} s, hits {len(hits)}")
    if pdf.soffice() is None:
        print("LibreOffice not installed: route 2 not measured")
        return
    sample = [d for d in bundle.released(docs) if d.decision in pdf.RELEASED][: args.lo_sample]
    lo = args.out / "lo"
    lo.mkdir()
    t = time.perf_counter()
    files = [writer.write(bundle.Part(i + 1, (d,)), 1, lo) for i, d in enumerate(sample)]
    t_docx = time.perf_counter() - t
    print(f"LibreOffice route, {len(sample)} documents: one docx each {t_docx:.1f} s")
    for procs in (1, 2):
        outdir = lo / f"out{procs}"
        outdir.mkdir()
        batches = [files[i::procs] for i in range(procs)]
        t = time.perf_counter()
        with ThreadPoolExecutor(procs) as pool:
            list(pool.map(lambda b: lo_batch(b, outdir), batches))
        dt = time.perf_counter() - t
        per = (dt + t_docx) / len(sample)
        print(f"  soffice x{procs}: {dt:.1f} s ({1000 * dt / len(sample):.0f} ms/document); "
              f"extrapolated to {len(jobs)}: {per * len(jobs):.0f} s with the docx")


if __name__ == "__main__":
    main()
