/* An ordinary shared library with nothing to do with gradflow. */
__attribute__((visibility("default"))) int add_numbers(int a, int b) {
  return a + b;
}
