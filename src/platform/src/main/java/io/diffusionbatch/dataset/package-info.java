/**
 * Nightly dataset synthesis: a dataset spec ({@code config/datasets/NAME.yaml}, docs/DATASETS.md)
 * read and checked ({@link io.diffusionbatch.dataset.DatasetSpecParser}), expanded for one night into an
 * ordinary request with a derived id, and the export of a finished night (Hugging Face imagefolder,
 * WebDataset tar shards, a dataset card and SHA256SUMS), written byte-identically for the same spec
 * and night. No Spring beans, no Kafka, no JDBC here (Spring's CronExpression reads the cron): the
 * job's export step and the {@code dataset} command read the ledger and hand this package plain data.
 */
@NullMarked
package io.diffusionbatch.dataset;

import org.jspecify.annotations.NullMarked;
