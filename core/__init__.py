"""Qt-free engine of the Salesforce Connector Wizard.

Everything the wizard and the headless CLI do goes through the functions in this
package; neither front end re-implements any of it.
"""

__version__ = "0.1.0"
APP_NAME = "Salesforce Connector Wizard"
APP_ID = "salesforce-connector-wizard"
