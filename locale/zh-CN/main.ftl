# fba-rs messages, zh-CN (FBA's default language).
# Keys mirror FBA's locale keys with dots replaced by dashes (response.success -> response-success).

response-success = 请求成功
response-error = 请求错误
error-captcha-error = 验证码错误
error-captcha-invalid = 验证码无效，请重新获取
error-captcha-expired = 验证码已过期，请重新获取
error-language-not-found = 当前语言包未初始化或不存在
success-login-success = 登录成功
success-login-oauth2-success = 登录成功（OAuth2）

error-internal = 服务器内部错误
error-service-unavailable = 服务暂不可用：{ $what }
error-too-many-requests = 请求过于频繁，请稍后重试
error-payload-too-large = 请求体过大（上限 { $limit } 字节）
error-invalid-request-prefix = 请求参数非法

validation-json-invalid = json解析失败
validation-missing = 字段为必填项
validation-model-attributes-type = 输入应为有效的字典或对象以提取字段
validation-string-type = 输入应为有效的字符串
validation-int-type = 输入应为有效的整数
validation-int-parsing = 输入应为有效的整数，无法将字符串解析为整数
validation-bool-type = 输入应为有效的布尔值
validation-float-type = 输入应为有效的数字
validation-list-type = 输入应为有效的列表
validation-enum = 输入应为 { $expected }
validation-greater-than-equal = 输入应大于或等于 { $ge }
validation-less-than-equal = 输入应小于或等于 { $le }
validation-greater-than = 输入应大于 { $gt }
validation-string-too-short = 字符串应至少有 { $min_length } 个字符
validation-string-too-long = 字符串最多应有 { $max_length } 个字符
validation-string-pattern-mismatch = 字符串应匹配模式 '{ $pattern }'
validation-value-error = 值错误，{ $error }
validation-extra-forbidden = 不允许额外的输入
validation-too-long = 列表最多应有 { $max_length } 项，实际为 { $actual_length } 项
error-request-timeout = 请求体接收超时
