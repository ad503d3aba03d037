"""Jobs submitted together with the photos they use (the face swap and model pages): the
uploads and the submit succeed or fail together, so a refused submit (402, a full queue,
invalid params) leaves no upload rows and no files behind."""

from collections.abc import Callable

from genfans.core.errors import DomainError
from genfans.storage.uploads import uploads_discard, uploads_store


def job_submit_with_uploads[T](
    *,
    team,
    user,
    files: dict[str, list],
    submit: Callable[[dict[str, list[str]]], T],
    min_side: int | None = None,
) -> T:
    """Store `files` (each list under the name of the parameter it fills), then call `submit`
    with their upload ids under the same names. The submit is its own durable transaction:
    when it refuses, the uploads are discarded again. `min_side` refuses small photos before
    any is stored (the submit checks the stored ones again)."""
    names = list(files)
    flat = [file for name in names for file in files[name]]
    stored = uploads_store(team=team, user=user, files=flat, min_side=min_side)
    ids: dict[str, list[str]] = {}
    position = 0
    for name in names:
        count = len(files[name])
        ids[name] = [str(upload.pk) for upload in stored[position : position + count]]
        position += count
    try:
        return submit(ids)
    except DomainError:
        uploads_discard(team=team, uploads=stored)
        raise
