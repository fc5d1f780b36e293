/**
 * Llama-style language models with multi-token-prediction heads, and their decoders.
 *
 * <p>How a generation runs:
 * <ol>
 *   <li>{@link dev.panamax.llm.LanguageModel#load} detects the format ({@code ModelLoader}): a
 *       llama2.c {@code .bin}, a Meta folder or a Hugging Face folder. Their tensors, mapped in place,
 *       go through one weight mapper ({@code WeightMapper}, Meta names; Hugging Face names are
 *       translated) into {@link dev.panamax.llm.ModelWeights}: trunk blocks, heads (head 1 is the last
 *       block of {@code layers}, heads 2..n the {@code extra_heads}), the shared norm and unembedding.</li>
 *   <li>Each generation makes a {@link dev.panamax.llm.Session}: every KV cache it needs, one shared
 *       length (rollback is a length reset) and the scratch of a pass.</li>
 *   <li>{@code Transformer} runs k rows at once through the kernels: the trunk, then any head over the
 *       trunk's output (keys and values for every row, the rest only for the rows whose logits are
 *       wanted), then one unembedding matmul for the rows gathered.</li>
 *   <li>{@code Generator} drives it: {@code ntp} one row a pass; {@code mtp} drafts with heads 2..n and
 *       verifies [token, drafts] in one pass with head 1 (greedy: identical ids to ntp; sampling:
 *       speculative sampling, the same distribution as ntp). {@code Sampler} picks tokens.</li>
 * </ol>
 */
package dev.panamax.llm;
