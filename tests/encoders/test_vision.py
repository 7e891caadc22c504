"""Vision: a CLIP trained on synthetic shapes proves the whole zero-shot path is wired right.

Random weights cannot tell a red circle from a blue square; the fixture model
(tests/fixtures/tiny-clip, made by tools/train_tiny_clip.py) can, on images it never saw.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from agentsdk import (
    Audio,
    ConfigurationError,
    Image,
    Kit,
    MissingDependencyError,
    ModelLoadError,
    ModelNotFoundError,
)
from agentsdk.encoders import CachedEncoder, VisionEncoder, default_labels, open_clip_encoder
from tools.synthetic_shapes import CLASSES, TEST_SEED, dataset

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "tiny-clip"
LABELS = [f"{colour} {shape}" for colour, shape in CLASSES]


@pytest.fixture(scope="module")
def clip() -> VisionEncoder:
    # the fixture was trained on captions like "a red circle"
    return VisionEncoder.from_pretrained(FIXTURE, labels=LABELS, prompt="a {}")


@pytest.fixture(scope="module")
def held_out() -> list[tuple[Image, str]]:
    return [
        (Image(picture), f"{colour} {shape}") for picture, colour, shape in dataset(TEST_SEED, 10)
    ]


def test_zero_shot_accuracy_on_unseen_images(
    clip: VisionEncoder, held_out: list[tuple[Image, str]]
) -> None:
    predictions = clip.classify([image for image, _ in held_out], top_k=1)
    correct = sum(
        tags[0][0] == truth for tags, (_, truth) in zip(predictions, held_out, strict=True)
    )
    accuracy = correct / len(held_out)
    assert len(held_out) >= 10 * len(CLASSES)
    assert accuracy >= 0.90, accuracy


def test_observation_carries_tags_confidence_and_embedding(
    clip: VisionEncoder, held_out: list[tuple[Image, str]]
) -> None:
    image, _ = held_out[0]
    observation = clip.encode(image)
    tags = observation.details["tags"]
    assert observation.kind == "vision" and observation.part_id == image.sha256
    assert len(tags) == 5
    assert [p for _, p in tags] == sorted((p for _, p in tags), reverse=True)
    assert sum(p for _, p in tags) <= 1.0 + 1e-6  # CLIP: a softmax over the labels
    assert observation.confidence == pytest.approx(tags[0][1])
    assert observation.text.startswith(f"Image shows: {tags[0][0]} (")
    assert observation.embedding is not None
    assert np.linalg.norm(observation.embedding) == pytest.approx(1.0, abs=1e-5)
    assert observation.details["scoring"] == "softmax"


def test_labels_can_be_overridden_per_call(
    clip: VisionEncoder, held_out: list[tuple[Image, str]]
) -> None:
    image, truth = held_out[0]
    other = next(label for label in LABELS if label != truth)
    tags = clip.encode(image, labels=[other, truth]).details["tags"]
    assert [label for label, _ in tags] == [truth, other]
    assert sum(p for _, p in tags) == pytest.approx(1.0, abs=1e-4)


def test_batched_embeddings_equal_one_by_one(
    clip: VisionEncoder, held_out: list[tuple[Image, str]]
) -> None:
    images = [image for image, _ in held_out[:20]]
    batched = clip.embed_images(images)
    single = np.concatenate([clip.embed_images([image]) for image in images])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert batched.shape[0] == 20


def test_text_embeddings_match_their_images(
    clip: VisionEncoder, held_out: list[tuple[Image, str]]
) -> None:
    image, truth = held_out[3]
    texts = clip.embed_texts([f"a {label}" for label in LABELS])
    assert np.linalg.norm(texts, axis=1) == pytest.approx(np.ones(len(LABELS)), abs=1e-5)
    similarity = clip.embed_images([image])[0] @ texts.T
    assert LABELS[int(similarity.argmax())] == truth


def test_the_default_vocabulary_ships_with_the_package() -> None:
    labels = default_labels()
    assert len(labels) >= 200 and len(set(labels)) == len(labels)
    assert {"receipt", "invoice", "screenshot", "dog", "kitchen"} <= set(labels)


def test_siglip_scores_each_label_with_a_sigmoid(tmp_path: Path) -> None:
    import torch
    from transformers import AutoConfig, SiglipConfig, SiglipModel

    clip_config = AutoConfig.from_pretrained(FIXTURE)
    text, vision = clip_config.text_config, clip_config.vision_config
    config = SiglipConfig(
        text_config={
            "vocab_size": text.vocab_size,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": text.max_position_embeddings,
        },
        vision_config={
            "image_size": vision.image_size,
            "patch_size": vision.patch_size,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
        },
    )
    torch.manual_seed(0)
    SiglipModel(config).save_pretrained(tmp_path)
    for item in FIXTURE.iterdir():  # the fixture's tokenizer and image processor
        if item.name.startswith(("tokenizer", "special_tokens", "preprocessor")):
            shutil.copy(item, tmp_path / item.name)
    siglip = VisionEncoder.from_pretrained(tmp_path, labels=LABELS[:3], prompt="a {}")
    assert siglip.sigmoid
    picture = Image(dataset(TEST_SEED, 1)[0][0])
    observation = siglip.encode(picture)
    probabilities = [p for _, p in observation.details["tags"]]
    assert observation.details["scoring"] == "sigmoid"
    assert all(0.0 < p < 1.0 for p in probabilities)
    assert len(probabilities) == 3


def test_missing_and_wrong_models_are_clear_errors(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"config\.json"):
        VisionEncoder.from_pretrained(tmp_path)
    with pytest.raises(ModelNotFoundError, match="allow_download=True"):
        VisionEncoder.from_pretrained("openai/clip-vit-base-patch32")
    with pytest.raises((ModelLoadError, ModelNotFoundError)):
        VisionEncoder.from_pretrained(tiny_checkpoint)  # a language model, not CLIP


def test_options_and_inputs_are_validated(clip: VisionEncoder) -> None:
    with pytest.raises(ConfigurationError, match="prompt"):
        VisionEncoder(clip.model, clip.image_processor, clip.tokenizer, model_name="x", prompt="a")
    with pytest.raises(ConfigurationError, match="Image"):
        clip.encode(Audio(np.ones(100, np.float32) / 2, sample_rate=8000))
    with pytest.raises(ConfigurationError, match="label"):
        clip.encode(Image(np.zeros((8, 8, 3), np.uint8)), labels=[])


def test_open_clip_needs_its_extra() -> None:
    with pytest.raises(MissingDependencyError, match="openclip"):
        open_clip_encoder("ViT-B-32", "laion2b_s34b_b79k")


def test_a_kit_loads_vision_from_a_folder() -> None:
    kit = Kit.stock(vision=FIXTURE)
    assert isinstance(kit.vision, CachedEncoder)
    observation = kit.vision.encode(Image(dataset(TEST_SEED, 1)[0][0]))
    assert observation.kind == "vision"
    assert Kit.stock(vision=FIXTURE).vision.inner is kit.vision.inner  # loaded once per process
