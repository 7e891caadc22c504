#!/usr/bin/env python3
"""Train the tiny CLIP test fixture on synthetic coloured shapes (CPU, a few minutes).

    python tools/train_tiny_clip.py                      # writes tests/fixtures/tiny-clip
    python tools/train_tiny_clip.py --out /tmp/clip --steps 300 --seed 1

Why: no pretrained CLIP weights can be downloaded here, and random weights cannot show
that a vision encoder's preprocessing, both towers and the similarity maths are wired
right. A small `CLIPModel` that really separates "a red circle" from "a blue star" can.

What it writes (all loadable with the Auto classes, offline):
  config.json + model.safetensors   `AutoModel.from_pretrained(out)` -> `CLIPModel`
  tokenizer.json + tokenizer_config.json   word-level, `AutoTokenizer.from_pretrained(out)`
  preprocessor_config.json          `AutoImageProcessor.from_pretrained(out, use_fast=False)`
  README.md                         how it was made and how well it does

Training images come from `tools.synthetic_shapes.dataset(--seed, ...)` (seeds below
`TRAIN_SEED_LIMIT`); accuracy is measured on `dataset(TEST_SEED, ...)`, never trained on.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from PIL import Image
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import (
    CLIPConfig,
    CLIPImageProcessorPil,
    CLIPModel,
    PreTrainedTokenizerFast,
)
from transformers.image_utils import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.synthetic_shapes import (
    CLASSES,
    TEST_SEED,
    TRAIN_SEED_LIMIT,
    caption,
    dataset,
)

IMAGE_SIZE = 64
PROJECTION_DIM = 64
MAX_LENGTH = 16
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<start>", "<end>"
# Special-token ids. EOS must not be 2: CLIPTextModel treats eos_token_id == 2 as a legacy
# config and pools at the *highest token id* instead of at the first EOS token.
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)

#: Prompt templates seen in training. The plain caption dominates; the wrapped ones teach the
#: text tower to ignore filler words, and "snapshot" is deliberately outside the vocabulary
#: so the <unk> embedding is trained too (the SDK will send words the fixture never saw).
TRAIN_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{caption}", 0.45),
    ("{colour} {shape}", 0.10),
    ("a photo of {caption}", 0.15),
    ("a picture of {caption}", 0.10),
    ("an image of {caption}", 0.10),
    ("a snapshot of {caption}", 0.10),
)
#: Words not in the vocabulary on purpose (they map to <unk>).
_OUT_OF_VOCABULARY = {"snapshot"}
TRAIN_IMAGES_PER_CLASS = 300
TEST_IMAGES_PER_CLASS = 20
PEAK_LR = 2e-3
WARMUP_STEPS = 100


# --- tokenizer, image processor, model ---------------------------------------------------


def vocabulary() -> list[str]:
    """Special tokens, then every word of every training prompt (bar the deliberate
    out-of-vocabulary ones), in first-seen order so the ids are stable."""
    words: list[str] = []
    for template, _ in TRAIN_TEMPLATES:
        for colour, shape in CLASSES:
            for word in prompt(template, colour, shape).split():
                if word not in words and word not in _OUT_OF_VOCABULARY:
                    words.append(word)
    return [*SPECIAL_TOKENS, *words]


def build_tokenizer() -> PreTrainedTokenizerFast:
    """Word-level tokenizer: lowercase, split on whitespace/punctuation, unknown words -> <unk>,
    `<start> ... <end>` added around every text (the text tower pools at `<end>`), right padding."""
    vocab = {word: i for i, word in enumerate(vocabulary())}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}",
        pair=f"{BOS} $A {EOS} $B:1 {EOS}:1",
        special_tokens=[(BOS, vocab[BOS]), (EOS, vocab[EOS])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        model_max_length=MAX_LENGTH,
        padding_side="right",
    )


def build_image_processor() -> CLIPImageProcessorPil:
    """The slow (PIL/numpy) CLIP processor at IMAGE_SIZE: bicubic resize of the shortest edge,
    centre crop, rescale to 0..1, normalise with the OpenAI CLIP mean/std. It saves as
    `CLIPImageProcessor`, which `AutoImageProcessor(..., use_fast=False)` loads back as this class."""
    return CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE},
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=OPENAI_CLIP_MEAN,
        image_std=OPENAI_CLIP_STD,
    )


def build_config(tokenizer: PreTrainedTokenizerFast) -> CLIPConfig:
    """A deliberately small CLIP (about 0.28M parameters): ViT on 64px images with 8px patches
    (64 tokens), width 64, 3 vision / 2 text layers, 64-d joint space.

    Small on purpose: on 2 shared CPU cores, shape recognition only emerges after ~50k image
    samples, and a width-128 model took 4x as long per step, so it could not reach 95% within
    the ten-minute budget. Special-token ids match the tokenizer, so pooling finds <end>.
    Both sub-configs repeat PROJECTION_DIM so the towers also load on their own
    (`CLIPVisionModelWithProjection` / `CLIPTextModelWithProjection`; the default is 512)."""
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": MAX_LENGTH,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "projection_dim": PROJECTION_DIM,
    }
    vision_config = {
        "image_size": IMAGE_SIZE,
        "patch_size": 8,
        "num_channels": 3,
        "hidden_size": 64,
        "intermediate_size": 256,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "projection_dim": PROJECTION_DIM,
    }
    return CLIPConfig(
        text_config=text_config, vision_config=vision_config, projection_dim=PROJECTION_DIM
    )


# --- data ------------------------------------------------------------------------------


def pixel_values(processor: CLIPImageProcessorPil, images: Sequence[Image.Image]) -> torch.Tensor:
    """Preprocess exactly as inference will: the saved processor, on PIL images."""
    return processor(images=list(images), return_tensors="pt")["pixel_values"]


def training_pool(
    processor: CLIPImageProcessorPil, seed: int, per_class: int
) -> tuple[torch.Tensor, list[list[int]]]:
    """All training images preprocessed once, and for each class (CLASSES order) the indices
    of its images. Drawn from `dataset(seed, ...)`, which must be a training seed."""
    if not 0 <= seed < TRAIN_SEED_LIMIT:
        raise SystemExit(f"--seed must be in [0, {TRAIN_SEED_LIMIT}): higher seeds are for testing")
    samples = dataset(seed, per_class)
    by_class: list[list[int]] = [[] for _ in CLASSES]
    index = {cls: i for i, cls in enumerate(CLASSES)}
    for i, (_, colour, shape) in enumerate(samples):
        by_class[index[(colour, shape)]].append(i)
    return pixel_values(processor, [image for image, _, _ in samples]), by_class


def prompt(template: str, colour: str, shape: str) -> str:
    """Fill a template with a class."""
    return template.format(caption=caption(colour, shape), colour=colour, shape=shape)


def sample_batch(rng: random.Random, by_class: list[list[int]]) -> tuple[list[int], list[str]]:
    """One image of every class with a randomly templated caption each.

    Every class appears exactly once, so no caption in the batch is a false negative for
    another image (duplicates would be pushed apart by the contrastive loss)."""
    templates = [t for t, _ in TRAIN_TEMPLATES]
    weights = [w for _, w in TRAIN_TEMPLATES]
    images = [rng.choice(indices) for indices in by_class]
    texts = [prompt(rng.choices(templates, weights)[0], c, s) for c, s in CLASSES]
    return images, texts


# --- training and evaluation ------------------------------------------------------------


def learning_rate(step: int, steps: int, peak: float, warmup: int) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def train(
    model: CLIPModel,
    tokenizer: PreTrainedTokenizerFast,
    pool: torch.Tensor,
    by_class: list[list[int]],
    steps: int,
    seed: int,
) -> None:
    """Symmetric InfoNCE (CLIP's own `return_loss`) on one all-class batch per step;
    AdamW, warm-up + cosine schedule, logit scale capped at 100 as in CLIP."""
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0, weight_decay=0.05)
    warmup = min(WARMUP_STEPS, steps // 10 + 1)
    model.train()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, PEAK_LR, warmup)
        indices, texts = sample_batch(rng, by_class)
        text = tokenizer(texts, padding=True, return_tensors="pt")
        loss = model(**text, pixel_values=pool[indices], return_loss=True).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 250 == 0 or step == steps - 1:
            print(
                f"step {step:5d}  loss {loss.item():.4f}  "
                f"logit scale {model.logit_scale.exp().item():.1f}",
                flush=True,
            )
    model.eval()


@torch.inference_mode()
def zero_shot_accuracy(
    model: CLIPModel,
    tokenizer: PreTrainedTokenizerFast,
    processor: CLIPImageProcessorPil,
    samples: Sequence[tuple[Image.Image, str, str]],
    template: str = "{caption}",
) -> float:
    """Top-1 accuracy of scoring each image against the prompts of ALL classes:
    cosine similarity of normalised image/text features (times logit_scale), argmax."""
    texts = [prompt(template, c, s) for c, s in CLASSES]
    text = tokenizer(texts, padding=True, return_tensors="pt")
    text_features = model.get_text_features(**text).pooler_output
    image_features = model.get_image_features(
        pixel_values=pixel_values(processor, [image for image, _, _ in samples])
    ).pooler_output
    text_features = text_features / text_features.norm(dim=-1, keepdim=True)
    image_features = image_features / image_features.norm(dim=-1, keepdim=True)
    logits = model.logit_scale.exp() * image_features @ text_features.T
    truth = torch.tensor([CLASSES.index((c, s)) for _, c, s in samples])
    return (logits.argmax(dim=-1) == truth).float().mean().item()


EVAL_TEMPLATES: dict[str, str] = {
    "plain caption": "{caption}",
    "a photo of ...": "a photo of {caption}",
    "unseen wrapper (a sketch of ...)": "a sketch of {caption}",
}


def evaluate(
    model: CLIPModel, tokenizer: PreTrainedTokenizerFast, processor: CLIPImageProcessorPil
) -> dict[str, float]:
    """Held-out zero-shot accuracy (TEST_SEED images) for each template in EVAL_TEMPLATES."""
    samples = dataset(TEST_SEED, TEST_IMAGES_PER_CLASS)
    return {
        name: zero_shot_accuracy(model, tokenizer, processor, samples, template)
        for name, template in EVAL_TEMPLATES.items()
    }


# --- output ----------------------------------------------------------------------------


def readme(
    params: int, seconds: float, steps: int, seed: int, accuracy: dict[str, float], size_bytes: int
) -> str:
    """The fixture's README: what it is, how it was made, how good it is."""
    rows = "\n".join(f"| {name} | {value:.1%} |" for name, value in accuracy.items())
    n_test = TEST_IMAGES_PER_CLASS * len(CLASSES)
    return f"""# tiny-clip: a CLIP trained on synthetic coloured shapes (test fixture)

A `transformers.CLIPModel` ({params:,} parameters, fp32 `model.safetensors` of {size_bytes / 1e6:.1f} MB)
trained from scratch on images from `tools/synthetic_shapes.py`: {len(CLASSES)} classes =
6 colours x 4 shapes on light grey/white backgrounds, captioned `caption(colour, shape)`,
e.g. "a red circle". It exists so tests can check that a vision encoder's preprocessing, both towers and the
similarity maths are wired right; it knows nothing beyond these shapes.

Made with (2 CPU threads, {seconds:.0f} s of training):

    python tools/train_tiny_clip.py --out tests/fixtures/tiny-clip --steps {steps} --seed {seed}

Held-out zero-shot top-1 accuracy over all {len(CLASSES)} classes
(`dataset(TEST_SEED={TEST_SEED}, per_class={TEST_IMAGES_PER_CLASS})`, {n_test} images, never trained on):

| prompts | accuracy |
|---|---|
{rows}

Training prompts were the plain caption (mostly) plus the wrappers {", ".join(repr(t) for t, _ in TRAIN_TEMPLATES[1:])}
("snapshot" is not in the vocabulary, so it trains the `<unk>` embedding); "a sketch of ..." was never seen.

- Images: `AutoImageProcessor.from_pretrained(dir, use_fast=False)` (`CLIPImageProcessorPil`):
  bicubic resize of the shortest edge to {IMAGE_SIZE}, centre crop {IMAGE_SIZE}x{IMAGE_SIZE},
  OpenAI CLIP mean/std. Training used this same processor.
- Text: word-level tokenizer (`AutoTokenizer`), lowercased, whitespace/punctuation split,
  unknown words -> `<unk>`; `<start> ... <end>` added; right padding with `<pad>`
  (id 0); max length {MAX_LENGTH}. The text tower pools at the first `<end>` token.
"""


def save(
    model: CLIPModel,
    tokenizer: PreTrainedTokenizerFast,
    processor: CLIPImageProcessorPil,
    out: Path,
) -> None:
    """Write model (safetensors), tokenizer and image processor to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    processor.save_pretrained(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/tiny-clip"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help=f"seeds init, batches and the training images (< {TRAIN_SEED_LIMIT})",
    )
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build, train, evaluate and save the fixture."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tokenizer, processor = build_tokenizer(), build_image_processor()
    model = CLIPModel(build_config(tokenizer))
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params:,}  vocabulary: {len(tokenizer)} tokens", flush=True)

    pool, by_class = training_pool(processor, args.seed, TRAIN_IMAGES_PER_CLASS)
    started = time.perf_counter()
    train(model, tokenizer, pool, by_class, args.steps, args.seed)
    seconds = time.perf_counter() - started

    accuracy = evaluate(model, tokenizer, processor)
    save(model, tokenizer, processor, args.out)
    size_bytes = (args.out / "model.safetensors").stat().st_size
    (args.out / "README.md").write_text(
        readme(params, seconds, args.steps, args.seed, accuracy, size_bytes)
    )
    print(f"training seconds: {seconds:.1f}")
    for name, value in accuracy.items():
        print(f"held-out zero-shot accuracy, {name}: {value:.1%}")
    print(f"saved to {args.out} (model.safetensors {size_bytes / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
