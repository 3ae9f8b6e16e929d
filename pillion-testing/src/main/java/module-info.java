/**
 * Test fixture: the C test guests of {@code components/fixtures}, loaded by name through {@link
 * dev.pillion.testing.TestGuests}. The {@code .wasm} files are in {@code pillion-test-guests/}, a
 * folder that is not a package name, hence not encapsulated: any class loader reads them.
 */
module dev.pillion.testing {
  exports dev.pillion.testing;
}
