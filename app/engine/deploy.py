"""Deploy `processes/` and `forms/`: all or nothing, a new version only when content changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import DeployedFile, ProcessVersion

from .clock import clock
from .specs import ParsedProcess, Sources, parse_sources, sha256_text


@dataclass
class DeployReport:
    new_files: list[str] = field(default_factory=list)
    new_versions: dict[str, int] = field(default_factory=dict)  # process key → version
    unchanged: list[str] = field(default_factory=list)


def read_folders(processes_dir: Path, forms_dir: Path) -> Sources:
    def read(folder: Path, pattern: str) -> dict[str, str]:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob(pattern))}

    return Sources(bpmn=read(processes_dir, "*.bpmn"), dmn=read(processes_dir, "*.dmn"),
                   forms=read(forms_dir, "*.json"))


def deploy(session: Session, sources: Sources, deployed_by: str = "system") -> DeployReport:
    """Check everything first (DeployRefused names file, element, reason), then write."""
    processes = parse_sources(sources)
    report = DeployReport()
    now = clock.now()
    for name, (kind, text) in sources.all_files().items():
        if _store_file(session, name, kind, text, now, deployed_by):
            report.new_files.append(name)
    for key, parsed in processes.items():
        version = _store_version(session, parsed, now, deployed_by)
        if version:
            report.new_versions[key] = version
        else:
            report.unchanged.append(key)
    session.flush()
    return report


def _store_file(session, name, kind, text, now, deployed_by) -> bool:
    sha = sha256_text(text)
    latest = session.scalars(select(DeployedFile).where(DeployedFile.filename == name)
                             .order_by(DeployedFile.version.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == sha:
        return False
    session.add(DeployedFile(filename=name, kind=kind, version=(latest.version + 1) if latest
                             else 1, sha256=sha, content=text, deployed_at=now,
                             deployed_by=deployed_by))
    session.flush()
    return True


def _store_version(session, parsed: ParsedProcess, now, deployed_by) -> int | None:
    latest = latest_version(session, parsed.key)
    if latest is not None and latest.bundle_sha256 == parsed.bundle_sha256:
        return None
    version = (latest.version + 1) if latest else 1
    session.add(ProcessVersion(process_key=parsed.key, name=parsed.name, version=version,
                               bundle_sha256=parsed.bundle_sha256, files=parsed.files,
                               parcours=parsed.parcours, deployed_at=now,
                               deployed_by=deployed_by))
    return version


def latest_version(session: Session, process_key: str) -> ProcessVersion | None:
    return session.scalars(select(ProcessVersion).where(ProcessVersion.process_key == process_key,
                                                        ProcessVersion.sandbox.is_(False))
                           .order_by(ProcessVersion.version.desc()).limit(1)).first()


def load_version_sources(session: Session, version_id: int) -> tuple[str, Sources]:
    """Rebuild exactly the files a process version was deployed with."""
    version = session.get(ProcessVersion, version_id)
    rows = session.execute(select(DeployedFile.filename, DeployedFile.kind, DeployedFile.content)
                           .where(DeployedFile.sha256.in_(list(version.files.values())))).all()
    wanted = version.files
    sources = Sources()
    buckets = {"bpmn": sources.bpmn, "dmn": sources.dmn, "form": sources.forms}
    for filename, kind, content in rows:
        if wanted.get(filename) == sha256_text(content):
            buckets[kind][filename] = content
    return version.process_key, sources


def deployed_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(ProcessVersion.process_key, func.max(ProcessVersion.version))
                                .where(ProcessVersion.sandbox.is_(False))
                                .group_by(ProcessVersion.process_key)).all())
