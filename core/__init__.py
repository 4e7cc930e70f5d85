"""Qt-free engine of the Salesforce Connector Wizard.

Everything the wizard and the headless CLI do goes through the functions in this
package; neither front end re-implements any of it.
"""

__version__ = "0.1.0"
APP_NAME = "Salesforce Connector Wizard"
APP_ID = "salesforce-connector-wizard"
#: The publisher shown in Windows version resources, the MSI, the .deb's Maintainer and the SBOM.
COMPANY = "Unstructured"
MAINTAINER = "Unstructured <support@unstructured.io>"
#: The macOS bundle identifier (Info.plist, the .pkg, the Keychain's notion of "this app").
BUNDLE_ID = "io.unstructured.salesforce-connector-wizard"
