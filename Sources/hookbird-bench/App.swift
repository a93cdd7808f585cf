import Hummingbird
@main struct Bench { static func main() {} }
