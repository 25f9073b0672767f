/** The one configured JSON mapper of the project (a leaf package: everything may use it). */
package io.diffusionbatch.engine.json;
