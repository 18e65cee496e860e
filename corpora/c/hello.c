/* hello.c - prints "Hello <input>!\n".
 * Default input: "World"  ->  "Hello World!\n"
 */
void compute(const char *input) {
    print_str("Hello ");
    print_str(input);
    print_str("!\n");
}
