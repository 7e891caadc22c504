"""Tiny real checkpoints built on the fly, for unit tests of the model plumbing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "What is the capital of France? The capital of France is Paris.",
    "Numbers: 1, 2, 3, 42 and 3.14; symbols like $ and % and café, naïve, 東京.",
    'Tools are called with JSON arguments such as {"a": 1, "b": 2}.',
] * 20


def byte_level_bpe(special_tokens: list[str], vocab_size: int) -> Any:
    """A byte-level BPE `tokenizers.Tokenizer` trained on CORPUS, specials first."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    return tokenizer


def build_tiny_chat_checkpoint(folder: Path, *, eos_first: bool = False) -> Path:
    """A byte-level BPE tokenizer with a chat template and a random 2-layer Llama.

    With `eos_first`, <|im_end|> gets id 0 and the LM head is zeroed, so greedy decoding
    emits end-of-turn at once.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|im_end|>", "<|im_start|>"] if eos_first else ["<|im_start|>", "<|im_end|>"]
    tokenizer = byte_level_bpe(specials, 400)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
    )
    fast.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    if eos_first:
        with torch.no_grad():
            model.lm_head.weight.zero_()
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def build_tiny_whisper_checkpoint(folder: Path) -> Path:
    """A random 1-layer Whisper with a byte-level tokenizer and Whisper's special tokens,
    saved with its processor: exercises the transformers backend end to end."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    specials = [
        "<|endoftext|>",
        "<|startoftranscript|>",
        "<|en|>",
        "<|transcribe|>",
        "<|notimestamps|>",
    ]
    tokenizer = byte_level_bpe(specials, 300)
    end = "<|endoftext|>"
    fast = WhisperTokenizerFast(
        tokenizer_object=tokenizer, bos_token=end, eos_token=end, unk_token=end, pad_token=end
    )
    ids = {token: fast.convert_tokens_to_ids(token) for token in specials}
    config = WhisperConfig(
        vocab_size=len(fast),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_mel_bins=80,
        max_source_positions=1500,
        max_target_positions=64,
        decoder_start_token_id=ids["<|startoftranscript|>"],
        eos_token_id=ids[end],
        pad_token_id=ids[end],
        bos_token_id=ids[end],
    )
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    with torch.no_grad():  # make special tokens unlikely so greedy decoding prints text
        model.proj_out.weight[: len(specials)] = 0.0
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"],
        eos_token_id=ids[end],
        pad_token_id=ids[end],
        no_timestamps_token_id=ids["<|notimestamps|>"],
        is_multilingual=False,
        max_length=24,
    )
    model.save_pretrained(folder)
    WhisperProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=fast
    ).save_pretrained(folder)
    return folder
