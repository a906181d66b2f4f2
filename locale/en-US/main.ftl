# fba-rs messages, en-US.

response-success = Request success
response-error = Request error
error-captcha-error = Captcha error
error-captcha-invalid = Captcha is invalid, please try again
error-captcha-expired = Captcha has expired, please try again
error-language-not-found = The language pack is not initialised or does not exist
success-login-success = Login success
success-login-oauth2-success = Login success (OAuth2)

error-internal = Internal Server Error
error-service-unavailable = Service unavailable: { $what }
error-too-many-requests = Too many requests, please try again later
error-payload-too-large = Request body too large (limit { $limit } bytes)
error-invalid-request-prefix = 请求参数非法

validation-json-invalid = JSON decode error
validation-missing = Field required
validation-model-attributes-type = Input should be a valid dictionary or object to extract fields from
validation-string-type = Input should be a valid string
validation-int-type = Input should be a valid integer
validation-int-parsing = Input should be a valid integer, unable to parse string as an integer
validation-bool-type = Input should be a valid boolean
validation-float-type = Input should be a valid number
validation-list-type = Input should be a valid list
validation-enum = Input should be { $expected }
validation-greater-than-equal = Input should be greater than or equal to { $ge }
validation-less-than-equal = Input should be less than or equal to { $le }
validation-greater-than = Input should be greater than { $gt }
validation-string-too-short = String should have at least { $min_length } characters
validation-string-too-long = String should have at most { $max_length } characters
validation-string-pattern-mismatch = String should match pattern '{ $pattern }'
validation-value-error = Value error, { $error }
validation-extra-forbidden = Extra inputs are not permitted
validation-too-long = List should have at most { $max_length } items after validation, not { $actual_length }
error-request-timeout = Request body not received in time

# Business errors (service and security layers).
error-token-expired = Token has expired
error-token-revoked = Token has been revoked
error-token-invalid = Token is invalid
error-user-locked = User is locked, please contact the system administrator
error-user-dept-deleted = The user's department has been deleted, please contact the system administrator
error-user-dept-locked = The user's department is locked, please contact the system administrator
error-user-role-locked = The user's roles are locked, please contact the system administrator
error-user-no-menu = The user has no menus assigned, please contact the system administrator
error-user-not-staff = The user is not allowed to use the admin backend, please contact the system administrator
error-bad-credentials = Incorrect username or password
error-user-locked-login = User is locked, please contact the system administrator
error-too-many-login-failures = Too many failed login attempts, the account has been locked
error-account-locked-minutes = The account is locked, please try again in { $minutes } minutes
error-password-expired = Password has expired, please change it and log in again
error-refresh-token-expired = Refresh Token has expired, please log in again
error-user-login-elsewhere = This user has logged in elsewhere, please log in again and change the password promptly
error-user-not-found = User does not exist
error-username-taken = Username is already registered
error-email-taken = Email is already bound
error-password-empty = Password must not be empty
error-self-permission = Changing your own permissions is not allowed
error-email-code-expired = Verification code has expired, please get a new one
error-old-password-wrong = Old password is incorrect
error-password-mismatch = The two passwords do not match
error-password-too-short = Password must be at least { $min } characters
error-password-too-long = Password must be at most { $max } characters
error-password-too-many-bytes = Password must be at most { $max } bytes
error-password-needs-digit = Password must contain a digit
error-password-needs-letter = Password must contain a letter
error-password-needs-special = Password must contain a special character (e.g. !@#$%)
error-password-reused = The new password must not match any of the last { $count } passwords
error-permission-type-unknown = Permission type does not exist
error-role-not-found = Role does not exist
error-role-exists = Role already exists
error-data-scope-not-found = Data scope does not exist
error-data-scope-exists = Data scope already exists
error-data-rule-not-found = Data rule does not exist
error-data-rule-exists = Data rule already exists
error-data-rule-model-not-found = The data rule model does not exist
error-dept-not-found = Department does not exist
error-dept-parent-not-found = Parent department does not exist
error-dept-name-exists = Department name already exists
error-self-parent = An item cannot be its own parent
error-dept-has-users = The department has users and cannot be deleted
error-dept-has-children = The department has sub-departments and cannot be deleted
error-menu-not-found = Menu does not exist
error-menu-parent-not-found = Parent menu does not exist
error-menu-title-exists = Menu title already exists
error-menu-has-children = The menu has sub-menus and cannot be deleted
error-upload-failed = File upload failed
error-upload-unknown-type = Unknown file type
error-upload-image-too-large = The image exceeds the size limit, please choose another
error-upload-video-too-large = The video exceeds the size limit, please choose another
error-upload-unsupported-format = The file format { $ext } is not supported

# notice plugin
error-notice-not-found = Notice does not exist

# plugin system
error-plugin-not-found = Plugin not found
error-plugin-disabled = Plugin { $name } is not enabled, please contact the system administrator
error-plugin-compiled-in = Plugins are compiled into the server: they cannot be installed or removed at run time

# dict plugin
error-dict-type-not-found = Dictionary type not found
error-dict-type-exists = Dictionary type already exists
error-dict-data-not-found = Dictionary data not found
error-dict-data-exists = Dictionary data already exists
# config plugin
error-config-not-found = Config not found
error-config-key-exists = Config { $key } already exists
error-config-keys-duplicated = Duplicate config keys
# socket.io (fba_common::socketio)
error-socketio-no-auth = WebSocket connection refused: no auth
error-socketio-auth-incomplete = WebSocket connection refused: the auth needs token and session_uuid
error-socketio-session-mismatch = WebSocket connection refused: session_uuid does not match the token
error-socketio-full = Too many WebSocket connections, please try again later

# task system
error-task-no-worker = Celery Worker is unavailable, please try again later
error-task-result-not-found = Task result does not exist
error-task-scheduler-not-found = Task scheduler does not exist
error-task-scheduler-exists = Task scheduler already exists
error-task-invalid-crontab = Invalid crontab expression
error-task-expires-conflict = expires and expire_seconds cannot both be set
error-task-invalid-arguments = Execution failed: invalid task arguments

# task scheduler datetimes (pydantic datetime errors)
validation-datetime-parsing = Input should be a valid datetime, { $error }
validation-datetime-type = Input should be a valid datetime
