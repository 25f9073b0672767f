/**
 * The request contract: the {@link io.diffusionbatch.request.GenerationRequest} record, its JSON form (parsed and
 * validated by {@link io.diffusionbatch.request.RequestParser}, described by {@code config/schema/request.schema.json}),
 * and its lazy expansion into work items ({@link io.diffusionbatch.request.ItemExpansion}). Plain Java: no Kafka,
 * Spring or JDBC.
 */
package io.diffusionbatch.request;
