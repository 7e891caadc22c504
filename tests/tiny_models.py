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


def chat_tokenizer(specials: list[str], template: str) -> Any:
    """A fast tokenizer on `byte_level_bpe` with ChatML turn markers and `template`."""
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=byte_level_bpe(specials, 400),
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
    )
    fast.chat_template = template
    return fast


def build_tiny_chat_checkpoint(folder: Path, *, eos_first: bool = False) -> Path:
    """A byte-level BPE tokenizer with a chat template and a random 2-layer Llama.

    With `eos_first`, <|im_end|> gets id 0 and the LM head is zeroed, so greedy decoding
    emits end-of-turn at once.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    specials = ["<|im_end|>", "<|im_start|>"] if eos_first else ["<|im_start|>", "<|im_end|>"]
    fast = chat_tokenizer(specials, CHAT_TEMPLATE)
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


TOOL_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message.get('tool_calls') %}"
    "{% for call in message['tool_calls'] %}"
    "{{ '<tool_call>' + call['function']['name'] + '</tool_call>' }}"
    "{% endfor %}"
    "{% else %}{{ message['content'] or '' }}{% endif %}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def build_tool_calling_checkpoint(
    folder: Path, *, call: str, answer: str, steps: int = 1500
) -> Path:
    """A tiny Qwen2 (so `transformers serve` parses its `<tool_call>` tags into OpenAI tool
    calls) trained to write the tool call `call` (JSON of {"name", "arguments"}) after any
    user message, and `answer` after a tool result. Checked on prompts it never saw."""
    import random

    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    fast = chat_tokenizer(["<|im_start|>", "<|im_end|>"], TOOL_TEMPLATE)
    rng = random.Random(0)
    words = [
        "what",
        "is",
        "the",
        "weather",
        "like",
        "in",
        "city",
        "today",
        "please",
        "tell",
        "me",
        "about",
        "rain",
        "sun",
        "wind",
    ]

    def prompt(tool_result: str | None) -> str:
        system = rng.choice(["Use tools.", "You are a helpful assistant.", "Answer briefly."])
        user = " ".join(rng.choice(words) for _ in range(rng.randint(2, 8))).capitalize() + "?"
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        if tool_result is not None:
            messages += [
                {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f"}}]},
                {"role": "tool", "content": tool_result},
            ]
        rendered: str = fast.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return rendered

    def example() -> tuple[str, str]:
        if rng.random() < 0.5:
            return prompt(None), f"<tool_call>\n{call}\n</tool_call><|im_end|>"
        result = " ".join(rng.choice(words) for _ in range(rng.randint(1, 5)))
        return prompt(result), f"{answer}<|im_end|>"

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(fast),
        hidden_size=96,
        intermediate_size=192,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=False,
    )
    model = Qwen2ForCausalLM(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        batch = [example() for _ in range(16)]
        ids, labels = [], []
        for context, completion in batch:
            head = fast.encode(context, add_special_tokens=False)
            tail = fast.encode(completion, add_special_tokens=False)
            ids.append(head + tail)
            labels.append([-100] * len(head) + tail)
        width = max(len(row) for row in ids)
        pad = fast.pad_token_id
        input_ids = torch.tensor([row + [pad] * (width - len(row)) for row in ids])
        mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
        target = torch.tensor([row + [-100] * (width - len(row)) for row in labels])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=target).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if loss.item() < 0.005:
            break
    model.eval()
    model.generation_config.eos_token_id = fast.eos_token_id
    model.generation_config.pad_token_id = fast.pad_token_id
    for tool_result, expected in ((None, f"<tool_call>\n{call}\n</tool_call>"), ("x", answer)):
        context = fast(prompt(tool_result), return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(**context, max_new_tokens=60, do_sample=False)
        written = fast.decode(out[0, context["input_ids"].shape[1] :], skip_special_tokens=True)
        if written != expected:
            raise AssertionError(f"the tiny tool model did not learn its reply: {written!r}")
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder
