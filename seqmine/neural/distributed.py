"""Data-parallel training on several processes (torch.distributed): ``seqmine train --nproc N``.

Every process (rank) builds the same model from the same seed and walks the same epoch order.
A global batch of ``batch_size`` windows is cut into ``nproc`` shards (rows ``rank::nproc``);
each rank computes the mean loss of its shard, and the gradients are summed over the ranks
weighted by each shard's number of target positions. An optimiser step therefore uses the
gradient of the whole batch's mean loss, as one process would; with dropout 0 the weights
match a one-process run up to float summation order (dropout masks are drawn per rank). Every
rank takes the same AdamW step, so the replicas stay identical: that is checked after each
epoch (a CRC of every rank's weights, gathered). Only rank 0 shows progress, calls the epoch
callback and writes checkpoints and the model.

As with PyTorch's ``DistributedSampler``, an epoch's order is padded with its first windows
to a multiple of ``nproc``, and ``batch_size`` must be a multiple of ``nproc``, so that every
shard of every batch holds the same number of windows.

Processes are started with ``torch.multiprocessing`` (spawn) and joined through a file
store: gloo on CPU; NCCL with one GPU per rank on CUDA. Started by ``torchrun`` instead (one
machine or several: ``torchrun --nnodes M --nproc-per-node N -m seqmine train ...``), every
process joins the group torchrun describes in its environment and trains its shard; rank 0
writes the model.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import nn

from seqmine.errors import InputError, SeqmineError

if TYPE_CHECKING:
    from seqmine.neural.predict import NeuralRecommender

__all__ = ["average_gradients", "check_in_sync", "is_main", "launch", "pad_order", "shard",
           "sum_over_ranks", "torchrun_rank", "train_distributed"]


def _active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def is_main() -> bool:
    """Whether this process writes outputs (rank 0, or the only process)."""
    return not _active() or dist.get_rank() == 0


def pad_order(order: torch.Tensor) -> torch.Tensor:
    """The epoch's window order, padded with its first windows to a multiple of the number
    of ranks (unchanged on one process)."""
    if not _active():
        return order
    extra = -len(order) % dist.get_world_size()
    return torch.cat([order, order[:extra]]) if extra else order


def shard(rows: torch.Tensor) -> torch.Tensor:
    """This rank's rows of a global batch (all of them on one process)."""
    if not _active():
        return rows
    return rows[dist.get_rank()::dist.get_world_size()]


def average_gradients(modules: Iterable[nn.Module], n_local: int) -> None:
    """Replace each rank's gradients (of its shard's mean loss over ``n_local`` target
    positions) by the gradient of the global batch's mean loss, on every rank. A parameter
    keeps ``grad=None`` only if it has none on every rank, as AdamW then skips it."""
    if not _active():
        return
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    parts = [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1).float()
             * n_local for p in params]
    has_grad = torch.tensor([p.grad is not None for p in params], dtype=torch.float32,
                            device=parts[0].device if parts else None)
    count = torch.tensor([float(n_local)], device=has_grad.device)
    flat = torch.cat([*parts, has_grad, count])
    dist.all_reduce(flat)
    total = flat[-1]
    flags = flat[-1 - len(params):-1]
    offset = 0
    for p, flag in zip(params, flags.tolist(), strict=True):
        n = p.numel()
        if flag > 0:
            grad = (flat[offset:offset + n] / total).view_as(p).to(p.dtype)
            if p.grad is None:
                p.grad = grad
            else:
                p.grad.copy_(grad)
        offset += n


def sum_over_ranks(loss_sum: torch.Tensor, n: int) -> tuple[torch.Tensor, int]:
    """An epoch's summed loss and target count over all ranks."""
    if not _active():
        return loss_sum, n
    flat = torch.stack([loss_sum.detach().double(),
                        torch.tensor(float(n), dtype=torch.float64, device=loss_sum.device)])
    dist.all_reduce(flat)
    return flat[0].to(loss_sum.dtype), int(flat[1].item())


def _crc(modules: Iterable[nn.Module]) -> int:
    crc = 0
    for module in modules:
        for name, value in module.state_dict().items():
            crc = zlib.crc32(name.encode(), crc)
            crc = zlib.crc32(value.detach().cpu().contiguous().view(-1).view(torch.uint8)
                             .numpy().tobytes(), crc)
    return crc


def check_in_sync(modules: Iterable[nn.Module]) -> None:
    """Raise if the ranks' weights differ (bit for bit); they must, after every step."""
    if not _active():
        return
    crcs: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(crcs, _crc(modules))
    if len(set(crcs)) > 1:
        raise RuntimeError(f"data-parallel replicas diverged (weight CRC per rank: {crcs})")


# --------------------------------------------------------------------------------------
# launching

def launch(nproc: int, fn: Callable[..., None], *args: Any, cuda: bool = False) -> None:
    """Run ``fn(*args)`` on ``nproc`` spawned processes joined in one process group (gloo,
    or NCCL with GPU ``rank`` per process when ``cuda``). A SeqmineError raised on a rank is
    raised again here with its message; the other ranks are stopped."""
    from torch.multiprocessing.spawn import ProcessRaisedException, start_processes
    with tempfile.TemporaryDirectory(prefix="seqmine-ddp-") as tmp:
        try:
            start_processes(  # type: ignore[no-untyped-call]
                _rank_main, args=(nproc, tmp, cuda, fn, args), nprocs=nproc, join=True,
                start_method="spawn")
        except ProcessRaisedException:
            for path in sorted(Path(tmp).glob("error-*.txt")):
                raise InputError(path.read_text()) from None
            raise


def _rank_main(rank: int, nproc: int, tmp: str, cuda: bool, fn: Callable[..., None],
               args: tuple[Any, ...]) -> None:
    if cuda:
        torch.cuda.set_device(rank)
    dist.init_process_group("nccl" if cuda else "gloo", init_method=f"file://{tmp}/store",
                            rank=rank, world_size=nproc)
    try:
        fn(*args)
    except SeqmineError as exc:
        Path(tmp, f"error-{rank}.txt").write_text(str(exc))
        raise
    finally:
        dist.destroy_process_group()


def torchrun_rank() -> tuple[int, int] | None:
    """(rank, world size) when this process was started by torchrun with more than one
    process, else None."""
    if "TORCHELASTIC_RUN_ID" not in os.environ and "MASTER_ADDR" not in os.environ:
        return None
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return (int(os.environ.get("RANK", "0")), world) if world > 1 else None


def train_distributed(nproc: int, data: Any, model: str = "sasrec",
                      **options: Any) -> NeuralRecommender:
    """``seqmine.neural.train(data, model, **options)`` on ``nproc`` processes; returns rank
    0's trained :class:`~seqmine.neural.NeuralRecommender` (the same weights on every rank).

    ``batch_size`` is the global batch (a multiple of ``nproc``). ``threads``: torch threads
    per process (default: the CPU cores shared out). ``device="cuda"`` puts one rank on
    each of the first ``nproc`` GPUs. ``callback`` is called on rank 0 and must pickle.
    Under torchrun this process is one rank of the job torchrun started (``nproc`` must be
    1 or its world size) and every rank returns the same trained model.
    """
    from seqmine.neural.predict import load, resolve_device
    from seqmine.neural.train import train
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise InputError(f"nproc must be an int >= 1, got {nproc!r}")
    launched = torchrun_rank()
    if launched is not None:
        if nproc not in (1, launched[1]):
            raise InputError(f"started by torchrun with {launched[1]} processes: nproc must "
                             f"be 1 or {launched[1]}, got {nproc}")
        return _train_under_torchrun(data, model, options, launched[1])
    if nproc == 1:
        return train(data, model, **options)
    batch_size = options.get("batch_size", 128)
    if isinstance(batch_size, int) and batch_size % nproc:
        raise InputError(f"batch_size ({batch_size}) is the global batch: it must be a "
                         f"multiple of nproc ({nproc})")
    cuda = resolve_device(options.get("device", "auto")).type == "cuda"
    if cuda and torch.cuda.device_count() < nproc:
        raise InputError(f"nproc={nproc} on CUDA needs {nproc} GPUs, found "
                         f"{torch.cuda.device_count()}")
    options = dict(options, device="cuda" if cuda else "cpu")
    if options.get("threads") is None and not cuda:
        options["threads"] = max(1, (os.cpu_count() or 1) // nproc)
    with tempfile.TemporaryDirectory(prefix="seqmine-ddp-model-") as out:
        launch(nproc, _train_rank, data, model, options, out, cuda=cuda)
        features = options.get("features")
        recommender = load(out, device=options["device"],
                           features=features if isinstance(features, nn.Module) else None)
    recommender.train_config["nproc"] = nproc
    return recommender


def _train_under_torchrun(data: Any, model: str, options: dict[str, Any],
                          world: int) -> NeuralRecommender:
    """Join torchrun's process group (environment rendezvous), train this rank's shard."""
    from seqmine.neural.predict import resolve_device
    from seqmine.neural.train import train
    batch_size = options.get("batch_size", 128)
    if isinstance(batch_size, int) and batch_size % world:
        raise InputError(f"batch_size ({batch_size}) is the global batch: it must be a "
                         f"multiple of the {world} torchrun processes")
    cuda = resolve_device(options.get("device", "auto")).type == "cuda"
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        if not is_main():
            options = dict(options, progress=False, callback=None)
        recommender = train(data, model, **dict(options, device="cuda" if cuda else "cpu"))
    finally:
        dist.destroy_process_group()
    recommender.train_config["nproc"] = world
    return recommender


def _train_rank(data: Any, model: str, options: dict[str, Any], out: str) -> None:
    from seqmine.neural.train import train
    if not is_main():
        options = dict(options, progress=False, callback=None)
    recommender = train(data, model, **options)
    if is_main():
        recommender.save(out)
