//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// The dashboard's stylesheet, served at `/dashboard/style.css` (`Resources/style.css`, compiled into the binary): system fonts, no web fonts, no CDN.
enum Stylesheet {
    static var css: [UInt8] { PackageResources.style_css }
}
