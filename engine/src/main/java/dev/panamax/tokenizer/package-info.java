/**
 * Tokenizers: text to token ids and back, for every model format Panamax loads.
 *
 * <ul>
 *   <li>{@link dev.panamax.tokenizer.Tokenizers#load(java.nio.file.Path)} finds a model's tokenizer:
 *       Hugging Face {@code tokenizer.json} (BPE: GPT-2 byte-level or SentencePiece style),
 *       SentencePiece {@code tokenizer.model} (BPE, as Llama 2), llama2.c {@code tokenizer.bin}.</li>
 *   <li>{@link dev.panamax.tokenizer.Tokenizers#bytes()} is the byte-level tokenizer (id = byte,
 *       0..255), which needs no file. Panamax's byte-level MTP model also ships a
 *       {@code tokenizer.json} with the same 256 byte ids plus {@code <s>} and {@code </s>} after them.</li>
 *   <li>{@link dev.panamax.tokenizer.StreamDecoder} renders ids as a generator produces them,
 *       holding back the bytes of a character that is not complete yet.</li>
 * </ul>
 *
 * All merge-based encoders share one O(n log n) merge loop ({@code PairMerges}): a heap of
 * candidate pairs over a linked list of symbols, best priority first and leftmost on ties.
 */
package dev.panamax.tokenizer;
