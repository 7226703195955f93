"""Qt adapter over the video engine's FrameProvider: worker-thread callbacks become signals.

The provider calls back from its own decoding thread. Emitting a signal of a QObject that
lives in the UI thread from another thread queues the call into the UI thread's event
loop, so every slot connected here runs in the UI thread and may touch widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QObject, Signal


class Provider(Protocol):
    """What the window needs of tracknet_studio.video.provider.FrameProvider."""

    def request(self, n: int) -> np.ndarray | None: ...
    def cached(self, n: int) -> np.ndarray | None: ...
    def set_direction(self, direction: int) -> None: ...
    def close(self) -> None: ...


# Same signature as FrameProvider's constructor; tests inject slow or fake providers.
ProviderFactory = Callable[..., Provider]


def default_provider_factory(path: Path, **callbacks: Any) -> Provider:
    from tracknet_studio.video.provider import FrameProvider

    return FrameProvider(path, **callbacks)


class FrameSource(QObject):
    """One open video: forwards the provider's callbacks as queued signals.

    After close() no signal is emitted, even if the worker thread still delivers a frame.
    """

    ready = Signal(object)  # VideoInfo
    frame_ready = Signal(int, object)  # frame number, RGB array
    failed = Signal(object)  # the exception
    progress = Signal(float)  # 0..1 while the index is built

    def __init__(self, path: Path, factory: ProviderFactory = default_provider_factory):
        super().__init__()
        self.path = Path(path)
        self.info: Any = None
        self._factory = factory
        self._provider: Provider | None = None
        self._closed = False
        self.ready.connect(self._remember_info)

    def start(self) -> None:
        """Start the provider. Connect the signals first: its thread may call back at once.

        May raise (e.g. a missing file) before any thread starts; the caller reports it.
        """
        self._provider = self._factory(
            self.path,
            on_ready=self._guard(self.ready.emit),
            on_frame=self._guard(self.frame_ready.emit),
            on_error=self._guard(self.failed.emit),
            on_progress=self._guard(self.progress.emit),
        )

    def _guard(self, emit: Callable[..., None]) -> Callable[..., None]:
        def forward(*args: Any) -> None:
            if not self._closed:
                emit(*args)

        return forward

    def _remember_info(self, info: Any) -> None:
        self.info = info

    def request(self, n: int) -> np.ndarray | None:
        return None if self._provider is None or self._closed else self._provider.request(n)

    def cached(self, n: int) -> np.ndarray | None:
        """Frame n if it is already decoded; never starts a decode."""
        return None if self._provider is None or self._closed else self._provider.cached(n)

    def preview(self, n: int) -> np.ndarray | None:
        """Frame n's scrubbing picture (FrameProvider.preview) until the exact one comes;
        None where there is none (providers without a proxy may lack the method)."""
        preview = getattr(self._provider, "preview", None)
        return None if preview is None or self._closed else preview(n)

    def set_direction(self, direction: int) -> None:
        if self._provider is not None and not self._closed:
            self._provider.set_direction(direction)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._provider is not None:
                self._provider.close()
