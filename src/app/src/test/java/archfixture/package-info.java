/** Fixture classes that break each architecture rule once, to show that the rules catch it. */
package archfixture;
