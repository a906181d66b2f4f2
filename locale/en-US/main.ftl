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
