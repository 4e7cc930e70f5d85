"""Step 2: make a key and certificate, import an existing pair, or go through a corporate CA."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.crypto.keypair import (
    MAX_VALIDITY_DAYS,
    KeyBundle,
    Subject,
    attach_certificate,
    create_key_bundle,
    import_key_bundle,
    pem_text_of_file,
)
from core.defaults import ALLOWED_KEY_SIZES, DEFAULT_COMMON_NAME, DEFAULT_VALIDITY_DAYS
from core.errors import AppError, EncryptedKeyError, SecretStoreError
from core.storage.keyfiles import SECRET_MODE, write_file_atomic
from core.storage.settings import default_output_dir
from core.usecases.keys import SavedKey, save_issued_certificate, save_key_bundle, unique_key_name
from gui.context import WizardContext
from gui.pages.base import TaskPage
from gui.widgets import CopyField, MessageLabel, describe
from gui.workers import Task, while_alive

MODES = ("generate", "import", "csr")


class KeyPage(TaskPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self._name_lookup: Task | None = None
        self._pending_csr: KeyBundle | None = None  # key made, waiting for the CA's certificate
        self.setTitle(self.tr("Key and certificate"))
        self.setSubTitle(
            self.tr(
                "Salesforce trusts the connector through a certificate; the connector signs its login with the "
                "matching private key. This step works without a network connection."
            )
        )

        # --- mode --------------------------------------------------------------------------
        self.generate_radio = QRadioButton(self.tr("&Generate a new key and self-signed certificate (recommended)"))
        self.import_radio = QRadioButton(self.tr("&Import an existing key and certificate"))
        self.csr_radio = QRadioButton(self.tr("Use my organisation's certificate aut&hority (make a CSR)"))
        for radio, tip in (
            (self.generate_radio, "Make a new RSA key and a self-signed certificate on this computer"),
            (self.import_radio, "Use a key and certificate you already have"),
            (
                self.csr_radio,
                "Make a key and a certificate signing request for your CA, then import the certificate it issues",
            ),
        ):
            describe(radio, radio.text().replace("&", ""), tip)
        self.mode_group = QButtonGroup(self)
        for index, radio in enumerate((self.generate_radio, self.import_radio, self.csr_radio)):
            self.mode_group.addButton(radio, index)
        self.generate_radio.setChecked(True)

        # --- generate / CSR options ---------------------------------------------------------
        self.bits = QComboBox()
        for bits in ALLOWED_KEY_SIZES:
            self.bits.addItem(self.tr("{0} bits").format(bits), bits)
        describe(self.bits, "Key size", "2048 bits is what Salesforce documents; larger keys are slower to make")
        self.days = QSpinBox()
        self.days.setRange(1, MAX_VALIDITY_DAYS)
        self.days.setValue(DEFAULT_VALIDITY_DAYS)
        self.days.setSuffix(self.tr(" days"))
        describe(self.days, "Certificate validity", "How long the certificate is valid; rotate the key before it ends")
        self.common_name = QLineEdit(DEFAULT_COMMON_NAME)
        describe(self.common_name, "Common name", "The certificate's name, shown in Salesforce")
        self.organization = QLineEdit()
        describe(self.organization, "Organisation (optional)")
        self.org_unit = QLineEdit()
        describe(self.org_unit, "Organisational unit (optional)")
        self.country = QLineEdit()
        self.country.setMaxLength(2)
        describe(self.country, "Country code (optional)", "Two letters, e.g. US or DE")
        self.email = QLineEdit()
        describe(self.email, "E-mail (optional)")
        options = QGroupBox(self.tr("Key and certificate options"))
        form = QFormLayout(options)
        form.addRow(self._buddy(self.tr("Key &size:"), self.bits), self.bits)
        form.addRow(self._buddy(self.tr("&Validity:"), self.days), self.days)
        form.addRow(self._buddy(self.tr("Common name:"), self.common_name), self.common_name)
        form.addRow(self._buddy(self.tr("&Organisation:"), self.organization), self.organization)
        form.addRow(self._buddy(self.tr("Organisational unit:"), self.org_unit), self.org_unit)
        form.addRow(self._buddy(self.tr("Countr&y:"), self.country), self.country)
        form.addRow(self._buddy(self.tr("&E-mail:"), self.email), self.email)
        self.options_box = options

        # --- import -------------------------------------------------------------------------
        self.key_text = QPlainTextEdit()
        self.key_text.setPlaceholderText("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----")
        describe(self.key_text, "Private key", "Paste the private key (PEM), or choose its file")
        self.key_file_button = QPushButton(self.tr("Choose key &file..."))
        describe(self.key_file_button, "Choose private key file")
        self.cert_text = QPlainTextEdit()
        self.cert_text.setPlaceholderText("-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----")
        describe(self.cert_text, "Certificate", "Paste the certificate (PEM), or choose its .crt file")
        self.cert_file_button = QPushButton(self.tr("Choose certificate fi&le..."))
        describe(self.cert_file_button, "Choose certificate file")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        describe(self.passphrase, "Key passphrase", "The passphrase that protects the private key")
        self.passphrase_label = self._buddy(self.tr("&Passphrase:"), self.passphrase)
        self.passphrase.hide()
        self.passphrase_label.hide()
        import_box = QWidget()
        import_form = QFormLayout(import_box)
        import_form.setContentsMargins(0, 0, 0, 0)
        import_form.addRow(
            self._buddy(self.tr("Private key:"), self.key_text), self._with_button(self.key_text, self.key_file_button)
        )
        import_form.addRow(
            self._buddy(self.tr("&Certificate:"), self.cert_text),
            self._with_button(self.cert_text, self.cert_file_button),
        )
        import_form.addRow(self.passphrase_label, self.passphrase)

        # --- CSR: the issued certificate ----------------------------------------------------
        self.csr_path = CopyField(name="CSR file")
        self.issued_text = QPlainTextEdit()
        self.issued_text.setPlaceholderText(self.tr("Paste the certificate your CA issued, or choose its file"))
        describe(self.issued_text, "Issued certificate", "The certificate your CA issued for the CSR")
        self.issued_file_button = QPushButton(self.tr("Choose issued certificate..."))
        describe(self.issued_file_button, "Choose issued certificate file")
        self.use_issued_button = QPushButton(self.tr("&Use issued certificate"))
        describe(self.use_issued_button, "Use issued certificate", "Check that it matches the key and save it")
        self.csr_box = QGroupBox(self.tr("Certificate from your CA"))
        csr_form = QFormLayout(self.csr_box)
        csr_form.addRow(QLabel(self.tr("Send this CSR to your certificate authority:")), self.csr_path)
        csr_form.addRow(
            self._buddy(self.tr("Issued certificate:"), self.issued_text),
            self._with_button(self.issued_text, self.issued_file_button),
        )
        csr_form.addRow("", self.use_issued_button)
        self.csr_box.hide()

        self.stack = QStackedWidget()
        self.stack.addWidget(options)
        self.stack.addWidget(import_box)
        self.stack.addWidget(QWidget())  # CSR mode reuses the options box, moved in _mode_changed

        # --- where things go ----------------------------------------------------------------
        self.folder = QLineEdit()
        describe(self.folder, "Folder for the certificate", "Where the certificate (.crt) is saved for upload")
        self.folder_button = QPushButton(self.tr("B&rowse..."))
        describe(self.folder_button, "Browse for folder")
        self.key_name = QLineEdit()
        describe(self.key_name, "Key name", "File name stem and keyring name, e.g. salesforce")
        self.export_key = QCheckBox(
            self.tr("Also save the private key as a file (owner-only). Not needed: the key is kept in your keyring.")
        )
        describe(self.export_key, "Also save the private key as a file")
        where = QFormLayout()
        where.addRow(self._buddy(self.tr("Save in:"), self.folder), self._with_button(self.folder, self.folder_button))
        where.addRow(self._buddy(self.tr("Key na&me:"), self.key_name), self.key_name)
        where.addRow("", self.export_key)

        self.action_button = QPushButton()
        self.action_button.setDefault(False)
        self.keyring_message = MessageLabel()
        self.session_only_button = QPushButton(self.tr("Continue &without saving (this session only)"))
        describe(
            self.session_only_button,
            "Continue without saving",
            "Keep the private key in memory only; it is lost when the wizard closes unless you save it as a file",
        )
        self.session_only_button.hide()

        # --- result -------------------------------------------------------------------------
        self.fingerprint = CopyField(name="Certificate SHA-256 fingerprint")
        self.expiry = QLabel()
        self.cert_path = CopyField(name="Certificate file")
        self.reveal_button = QPushButton(self.tr("Show in fol&der"))
        describe(self.reveal_button, "Show the certificate in the file manager")
        self.export_button = QPushButton(self.tr("Save a copy of the private &key..."))
        describe(
            self.export_button,
            "Save a copy of the private key",
            "Write the private key to a file only you can read (the keyring keeps it anyway)",
        )
        self.result_box = QGroupBox(self.tr("Your certificate"))
        result_form = QFormLayout(self.result_box)
        result_form.addRow(self.tr("SHA-256:"), self.fingerprint)
        result_form.addRow(self.tr("Expires:"), self.expiry)
        result_form.addRow(self.tr("File:"), self.cert_path)
        result_buttons = QHBoxLayout()
        result_buttons.addWidget(self.reveal_button)
        result_buttons.addWidget(self.export_button)
        result_buttons.addStretch(1)
        result_form.addRow("", result_buttons)
        self.result_box.hide()

        layout = QVBoxLayout(self.body)
        layout.addWidget(self.generate_radio)
        layout.addWidget(self.import_radio)
        layout.addWidget(self.csr_radio)
        layout.addWidget(self.stack)
        layout.addLayout(where)
        layout.addWidget(self.action_button)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.keyring_message)
        layout.addWidget(self.session_only_button)
        layout.addWidget(self.csr_box)
        layout.addWidget(self.result_box)
        layout.addStretch(1)

        self.mode_group.idToggled.connect(lambda _id, on: self._mode_changed() if on else None)
        self.action_button.clicked.connect(self._act)
        self.key_file_button.clicked.connect(lambda: self._load_file_into(self.key_text, "Choose the private key"))
        self.cert_file_button.clicked.connect(lambda: self._load_file_into(self.cert_text, "Choose the certificate"))
        self.issued_file_button.clicked.connect(
            lambda: self._load_file_into(self.issued_text, "Choose the issued certificate")
        )
        self.folder_button.clicked.connect(self._choose_folder)
        self.reveal_button.clicked.connect(self._reveal)
        self.export_button.clicked.connect(self._choose_export)
        self.use_issued_button.clicked.connect(self._use_issued)
        self.session_only_button.clicked.connect(self._continue_without_keyring)
        self._mode_changed()

    # --- layout helpers ------------------------------------------------------------------------

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    @staticmethod
    def _with_button(field: QWidget, button: QPushButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        row.addWidget(button)
        return box

    # --- state ---------------------------------------------------------------------------------

    def mode(self) -> str:
        return MODES[max(self.mode_group.checkedId(), 0)]

    def initializePage(self) -> None:
        settings = self.context.settings
        if not self.folder.text():
            self.folder.setText(settings.output_dir or str(default_output_dir()))
        if not self.key_name.text():
            self._suggest_name(Path(self.folder.text()))
        self._describe_export()
        if self.context.bundle is None and self.context.lost_key:
            self.message.show_warning(
                self.tr(
                    "The key “{0}” from last time is no longer in your keyring (it may have been removed), so "
                    "the wizard stopped here. Import it from its .pem file if you saved one; otherwise make a new key "
                    "and upload its certificate to the Salesforce app again."
                ).format(self.context.lost_key)
            )
        if self.context.bundle is not None and self.result_box.isHidden():
            self._show_result()
            self.message.show_info(
                self.tr("Using the key “{0}” from your keyring. Make a new one only if you want to replace it.").format(
                    self.context.key_name
                )
            )

    def _suggest_name(self, folder: Path, *, replace: bool = False) -> None:
        """Fill in a key name free on disk and in the keyring; the keyring is asked off the GUI thread."""
        typed = self.key_name.text()
        lookup = Task(unique_key_name, folder, stored=self.context.read_secret)

        def found(name: str) -> None:
            if self.key_name.text() == typed:  # unless the admin typed a name meanwhile
                self.key_name.setText(name)

        lookup.succeeded.connect(while_alive(self, found))
        self._name_lookup = lookup
        lookup.start()

    def _describe_export(self) -> None:
        """Say whether a file copy is optional (a keyring keeps the key) or the only way to keep it."""
        if self.context.session_only or not self.context.keyring_works():
            text = self.tr(
                "Also save the private key as a file (owner-only). Recommended: no keyring can keep it on this computer."
            )
        else:
            text = self.tr(
                "Also save the private key as a file (owner-only). Not needed: the key is kept in your keyring."
            )
        self.export_key.setText(text)

    def isComplete(self) -> bool:
        return self.context.bundle is not None and self.context.bundle.cert_pem is not None and not self.is_busy()

    def _mode_changed(self) -> None:
        mode = self.mode()
        self.stack.setCurrentIndex(0 if mode in ("generate", "csr") else 1)
        # A stack is as tall as its tallest page; only the page shown should take room.
        for index in range(self.stack.count()):
            policy = QSizePolicy.Policy.Preferred if index == self.stack.currentIndex() else QSizePolicy.Policy.Ignored
            page = self.stack.widget(index)
            if page is not None:
                page.setSizePolicy(policy, policy)
        self.stack.adjustSize()
        self.action_button.setText(
            {
                "generate": self.tr("Generate key and cer&tificate"),
                "import": self.tr("Check and import"),  # every letter of it is taken on this page (Alt+I: Import)
                "csr": self.tr("Generate key and &CSR"),
            }[mode]
        )
        describe(self.action_button, self.action_button.text().replace("&", ""))
        self.days.setEnabled(mode == "generate")
        self.bits.setEnabled(mode != "import")
        self.message.clear_message()

    def busy_changed(self, busy: bool) -> None:
        self.action_button.setEnabled(not busy)

    # --- actions ---------------------------------------------------------------------------------

    def _act(self) -> None:
        self.message.clear_message()
        self.keyring_message.clear_message()
        self.session_only_button.hide()
        folder = Path(self.folder.text().strip()).expanduser()
        name = self.key_name.text().strip()
        if not self.folder.text().strip():
            self.message.show_error(self.tr("Choose a folder for the certificate."))
            return
        mode = self.mode()
        context, export = self.context, self.export_key.isChecked()
        # Without a keyring the key lives in context.bundle only: nothing may claim it was stored.
        save_secret = None if context.session_only else context.save_secret

        def save(bundle: KeyBundle) -> SavedKey:  # runs in the worker, after the bundle is made
            # No name (cleared, or clicked before the suggestion arrived): the first free one.
            chosen = name or unique_key_name(folder, stored=context.read_secret)
            return save_key_bundle(
                bundle,
                folder=folder,
                name=chosen,
                save_secret=save_secret,
                forget_secret=context.store.delete if save_secret is not None else None,
                write_private_key_file=export,
                stored=context.read_secret,
            )

        if mode == "import":
            key_text, cert_text = self.key_text.toPlainText(), self.cert_text.toPlainText()
            passphrase = self.passphrase.text() or None
            if not cert_text.strip() and "CERTIFICATE" not in key_text:
                self.message.show_error(self.tr("Also give the certificate (.crt) that belongs to this key."))
                return

            def work() -> tuple[KeyBundle, SavedKey]:
                bundle = import_key_bundle(key_text, cert_text or None, passphrase=passphrase)
                return bundle, save(bundle)

            self._run(work, self.tr("Checking the key and certificate..."))
            return
        subject = Subject(
            common_name=self.common_name.text(),
            organization=self.organization.text(),
            organizational_unit=self.org_unit.text(),
            country=self.country.text(),
            email=self.email.text(),
        )
        bits, days = int(self.bits.currentData()), self.days.value()
        with_csr = mode == "csr"

        def make() -> tuple[KeyBundle, SavedKey]:
            # With a CSR, the CA's certificate will be used: no self-signed one beside it.
            bundle = create_key_bundle(
                bits=bits, days=days, subject=subject, with_csr=with_csr, self_signed=not with_csr
            )
            return bundle, save(bundle)

        self._run(make, self.tr("Generating a {0}-bit key...").format(bits))

    def _run(self, fn: Callable[[], tuple[KeyBundle, SavedKey]], text: str) -> None:
        self.run_task(Task(fn), text, on_success=self._done, on_failure=self._failed)

    def task_cancelled(self) -> None:
        self.message.show_info(self.tr("Cancelled. Nothing was saved."))

    def _done(self, result: tuple[KeyBundle, SavedKey]) -> None:
        bundle, saved = result
        saved.apply(self.context.settings)
        self.context.key_name = saved.name
        self.context.save_settings()
        self.passphrase.hide()
        self.passphrase_label.hide()
        if bundle.cert_pem is None:  # CSR mode: wait for the CA
            self._pending_csr = bundle
            self.context.bundle = None
            self.csr_path.set_value(str(saved.files.csr))
            self.csr_box.show()
            self.message.show_ok(
                self.tr(
                    "Key saved in your keyring and CSR written. When your CA sends the "
                    "certificate, paste or choose it below."
                )
            )
        else:
            self._accept(bundle, saved.files.certificate, saved.files.private_key)

    def _accept(self, bundle: KeyBundle, cert_path: Path | None, key_file: Path | None) -> None:
        self.context.bundle = bundle
        self.context.cert_path = cert_path
        self._show_result()
        QTimer.singleShot(0, lambda: self.scroll_area.ensureWidgetVisible(self.result_box))  # after layout
        where = (
            self.tr("only in memory for this session")
            if self.context.session_only
            else self.tr("in your system keyring")
        )
        extra = self.tr(" A copy is in {0} (owner-only).").format(key_file) if key_file else ""
        if self.context.session_only and key_file is None:
            # The one copy of this key is in memory: make keeping it an explicit choice, now.
            self.message.show_warning(
                self.tr(
                    "Done, but no keyring could keep the private key: it exists only in memory until the wizard "
                    "closes. Save a copy now with \u201cSave a copy of the private key...\u201d, or you will need a new "
                    "key (and a new certificate in Salesforce) next time."
                )
            )
            self.export_button.setFocus()
        else:
            self.message.show_ok(self.tr("Done. The private key is kept {0}.{1}").format(where, extra))
        self.completeChanged.emit()

    def _show_result(self) -> None:
        info = self.context.bundle.certificate_info if self.context.bundle else None
        if info is None:
            self.result_box.hide()
            return
        self.fingerprint.set_value(info.fingerprint_sha256)
        self.expiry.setText(
            self.tr("{0} UTC ({1} days from now)").format(f"{info.not_after:%Y-%m-%d %H:%M}", info.days_left())
        )
        self.cert_path.set_value(str(self.context.cert_path or ""))
        self.result_box.show()

    def _failed(self, error: AppError) -> None:
        if isinstance(error, EncryptedKeyError):
            self.passphrase.show()
            self.passphrase_label.show()
            self.passphrase.setFocus()
        if isinstance(error, SecretStoreError):
            self.keyring_message.show_error(
                self.tr(
                    "Your keyring could not store the private key: {0}\nYou can fix the keyring and try again, or "
                    "continue for this session without saving (tick \u201cAlso save the private key as a file\u201d "
                    "to keep a copy)."
                ).format(error)
            )
            self.session_only_button.show()
            return
        self.message.show_error(str(error))

    def _continue_without_keyring(self) -> None:
        self.context.session_only = True
        self.session_only_button.hide()
        self._describe_export()
        self.keyring_message.show_warning(
            self.tr("Continuing without the keyring: secrets are kept in memory until the wizard closes.")
        )
        self._act()

    def _use_issued(self) -> None:
        if self._pending_csr is None:
            self.message.show_error(self.tr("Generate the key and CSR first."))
            return
        try:
            bundle = attach_certificate(self._pending_csr, self.issued_text.toPlainText())
            saved = save_issued_certificate(
                bundle,
                folder=Path(self.folder.text()).expanduser(),
                name=self.context.key_name,
                in_keyring=not self.context.session_only,
            )
        except AppError as exc:
            self.message.show_error(str(exc))
            return
        saved.apply(self.context.settings)
        self.context.save_settings()
        self._accept(bundle, saved.files.certificate, None)

    # --- files ------------------------------------------------------------------------------------

    def _load_file_into(self, target: QPlainTextEdit, caption: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr(caption),
            self.folder.text(),
            self.tr("Keys and certificates (*.pem *.key *.crt *.cer *.der);;All files (*)"),
        )
        if path:
            self.load_file(target, Path(path))

    def load_file(self, target: QPlainTextEdit, path: Path) -> None:
        try:
            data = path.read_bytes()[:65536]
        except OSError as exc:
            self.message.show_error(self.tr("Cannot read {0}: {1}").format(path, exc.strerror))
            return
        try:
            target.setPlainText(pem_text_of_file(data, key=target is self.key_text))
        except AppError as exc:
            self.message.show_error(str(exc))

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Folder for the certificate"), self.folder.text())
        if path:
            self.folder.setText(path)
            self._suggest_name(Path(path), replace=True)

    def _choose_export(self) -> None:
        suggested = str(Path(self.folder.text()) / f"{self.context.key_name or 'salesforce'}.pem")
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the private key"), suggested, self.tr("Private key (*.pem)")
        )
        if path:  # the dialog has already asked before replacing an existing file
            self.export_private_key(Path(path), overwrite=True)

    def export_private_key(self, path: Path, *, overwrite: bool = False) -> bool:
        """Write the private key to ``path``, owner-only from creation and atomically."""
        if self.context.bundle is None:
            return False
        try:
            write_file_atomic(path, self.context.bundle.private_key_pem, mode=SECRET_MODE, overwrite=overwrite)
        except AppError as exc:
            self.message.show_error(str(exc))
            return False
        self.message.show_ok(
            self.tr(
                "Saved a copy of the private key in {0} (only you can read it). Keep it "
                "safe, or delete it once the connector works."
            ).format(path)
        )
        return True

    def _reveal(self) -> None:
        if self.context.cert_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.cert_path.parent)))
