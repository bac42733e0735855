/// A step that cannot be run as written (an undefined variable, a bad pattern).
struct StepPreparationError: Error {
    var message: String
}
